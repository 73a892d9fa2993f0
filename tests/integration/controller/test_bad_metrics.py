"""Prometheus answers ``200`` with values no Prometheus sends: that target falls back, alone.

The production `PrometheusSource` reads a scriptable stand-in over HTTP; the floors land on the
Kubernetes-API test server. A bad reply must be that target's metrics failure, exactly like a
503: it degrades once its data is stale, falls back to reactive after the failure threshold,
gives its floor back, says why in its status and in ``forescale_mode``, while the other target
goes on. (A reply the parser choked on used to escape the cycle as ValueError/IndexError: the
target was never decided again, stayed "predictive" and kept its floor raised.)
"""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from forescale.scaler.clock import VirtualClock
from forescale.scaler.metrics.prometheus import PrometheusSource
from forescale.scaler.telemetry import Telemetry
from tests.integration.controller.cluster import (
    BASELINES,
    FLOORS,
    START,
    KubeController,
    at_cycle,
    min_replicas,
    pa,
    seed_shop,
    status,
)
from tests.integration.kube.server import KubeApiServer
from tests.integration.prometheus.standin import BAD_REPLIES, PromStandIn

pytestmark = pytest.mark.kube

FAILURES = 3
"""The default failure threshold: troubled cycles in degraded mode before the fallback."""
FRESH = 3
"""Cycles a failing source goes unnoticed: the newest sample is stale only once older than two
steps plus the interval (3 x 5 min), as for any other metrics outage."""
WEB = pa("web")["spec"]["query"]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


def mode_gauge(telemetry: Telemetry, mode: str) -> float | None:
    return telemetry.registry.get_sample_value(
        "forescale_mode", {"target": "shop/web", "mode": mode}
    )


@pytest.mark.parametrize("fault", sorted(BAD_REPLIES))
def test_a_bad_prometheus_reply_is_a_metrics_failure_the_target_falls_back_and_restores_its_floor(
    kube: KubeApiServer, clock: VirtualClock, standin: PromStandIn, fault: str
) -> None:
    seed_shop(kube)
    telemetry = Telemetry(CollectorRegistry())
    source = PrometheusSource.from_url(standin.url, timeout=2, retries=0)
    ctl = KubeController(kube.url, clock, source=source, telemetry=telemetry)
    try:
        ctl.run_once()
        assert min_replicas(kube, "web") == FLOORS["web"]
        assert mode_gauge(telemetry, "predictive") == 1

        standin.fault(WEB, BAD_REPLIES[fault])
        modes, why = [], []
        for k in range(1, FRESH + FAILURES + 1):
            at_cycle(clock, k)  # exactly on the staleness threshold at k = FRESH, retries or not
            if k == 1:  # one transient API error: retried after a backoff on the same clock
                kube.faults.add(verb="GET", path="horizontalpodautoscalers/web", status=503)
            report = ctl.run_once()
            assert "shop/api" in report.outcomes  # the healthy target is decided every cycle
            web = status(kube, "web")
            modes.append(web["mode"])
            why.append(f"{web['mode']}: {web['modeReason']} ({web.get('lastError')})")

        # Each cycle's reason is in the message: a cycle seen degraded one step early (a
        # retry's backoff had moved the virtual clock past the threshold) named its cause.
        assert modes == ["predictive"] * FRESH + ["degraded"] * (FAILURES - 1) + ["reactive"], why
        assert min_replicas(kube, "web") == BASELINES["web"]  # the user's own floor, back
        assert min_replicas(kube, "api") == FLOORS["api"]  # the other target is untouched
        assert mode_gauge(telemetry, "reactive") == 1 and mode_gauge(telemetry, "predictive") == 0
        web = status(kube, "web")
        assert web["modeReason"].startswith("stale or missing data")
        assert web["lastError"].startswith("metrics: ") and standin.url in web["lastError"]
    finally:
        ctl.close()
        source.close()
