"""Controller tests over HTTP: the official client against the Kubernetes test API server."""

from __future__ import annotations

from tests.integration.kube import fixtures

# Until tests/conftest.py loads the plugin (pytest_plugins), expose its fixtures here.
kube_apiserver = fixtures.kube_apiserver
kube = fixtures.kube
kube_client = fixtures.kube_client
