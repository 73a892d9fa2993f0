"""pytest plugin: the Kubernetes test API server and an official client pointed at it.

Enable from any test folder with ``pytest_plugins = ["tests.integration.kube.fixtures"]`` (in
the root ``tests/conftest.py``). Fixtures:

- ``kube_apiserver`` (session): one `KubeApiServer` on a free loopback port;
- ``kube`` (function): the same server, emptied of objects, faults and logged requests;
- ``kube_client``: a ``kubernetes.client.ApiClient`` for it, built the way production builds one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from forescale.scaler.kube.client import build_api_client
from tests.integration.kube.server import KubeApiServer


@pytest.fixture(scope="session")
def kube_apiserver() -> Iterator[KubeApiServer]:
    server = KubeApiServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kube(kube_apiserver: KubeApiServer) -> Iterator[KubeApiServer]:
    kube_apiserver.reset()
    yield kube_apiserver
    kube_apiserver.reset()


@pytest.fixture
def kube_client(kube: KubeApiServer) -> Iterator[Any]:
    client = build_api_client(host=kube.url)
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]
