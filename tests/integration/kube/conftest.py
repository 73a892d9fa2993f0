"""Expose the test-server fixtures to this folder's own tests (see `fixtures`)."""

from __future__ import annotations

from tests.integration.kube import fixtures

kube_apiserver = fixtures.kube_apiserver
kube = fixtures.kube
kube_client = fixtures.kube_client
