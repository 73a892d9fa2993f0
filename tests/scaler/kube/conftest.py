"""Kubernetes adapter tests: the official client over HTTP against the test API server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.kube import KubeApi
from tests.integration.kube import fixtures

# Until tests/conftest.py loads the plugin (pytest_plugins), expose its fixtures here.
kube_apiserver = fixtures.kube_apiserver
kube = fixtures.kube
kube_client = fixtures.kube_client

START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def api(kube_client: Any) -> KubeApi:
    return KubeApi(kube_client, timeout=2.0)
