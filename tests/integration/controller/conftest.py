"""Controller tests over HTTP: the official client against the Kubernetes test API server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.metrics.memory import FrameSource
from tests.integration.controller.cluster import (
    LOADS,
    START,
    KubeController,
    flat_load,
    pa,
    seed_shop,
    shared_source,
)
from tests.integration.kube import fixtures
from tests.integration.kube.server import KubeApiServer
from tests.integration.prometheus.standin import PromStandIn

# Until tests/conftest.py loads the plugin (pytest_plugins), expose its fixtures here.
kube_apiserver = fixtures.kube_apiserver
kube = fixtures.kube
kube_client = fixtures.kube_client


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def source(clock: VirtualClock) -> FrameSource:
    """One metrics backend for every replica, as in a cluster."""
    return shared_source(clock)


@pytest.fixture
def pair(
    kube: KubeApiServer, clock: VirtualClock, source: FrameSource
) -> Iterator[tuple[KubeController, KubeController]]:
    """Two replicas with leader election on the seeded shop (``forescale-a``, ``forescale-b``)."""
    seed_shop(kube)
    a, b = (
        KubeController(kube.url, clock, identity=name, leader_election=True, source=source)
        for name in ("forescale-a", "forescale-b")
    )
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def standin(clock: VirtualClock) -> Iterator[PromStandIn]:
    """A scriptable Prometheus serving every seeded target's flat load up to ``clock``."""
    series = {pa(name)["spec"]["query"]: flat_load(level) for name, level in LOADS.items()}
    with PromStandIn(series, now=clock.now) as server:
        yield server
