"""The real Prometheus scrapes the controller's telemetry, and reads it back through our source.

Also the one place stale markers can be produced for real: when a target is forgotten its series
vanish from ``/metrics``, Prometheus writes stale markers, and the range query must show NaN from
then on instead of repeating the last value for the 5-minute lookback.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from prometheus_client import CollectorRegistry, start_http_server

from forescale.scaler.domain import Mode
from forescale.scaler.metrics.prometheus import PrometheusSource
from forescale.scaler.telemetry import Telemetry
from tests.integration.prometheus.server import SeededPrometheus

pytestmark = pytest.mark.prometheus
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Scraped:
    telemetry: Telemetry
    instance: str

    def floor(self, target: str) -> str:
        """Selector of one target's floor from this exporter only (earlier runs may linger)."""
        return f'forescale_floor_replicas{{instance="{self.instance}",target="{target}"}}'


@pytest.fixture(scope="module")
def scraped(prometheus: SeededPrometheus) -> Iterator[Scraped]:
    """One exporter per module: Prometheus applies a new scrape target only every ~5 s."""
    telemetry = Telemetry(CollectorRegistry())
    httpd, thread = start_http_server(0, addr="127.0.0.1", registry=telemetry.registry)
    instance = f"127.0.0.1:{httpd.server_port}"
    prometheus.server.add_scrape_job("forescale-telemetry", [instance])
    try:
        yield Scraped(telemetry, instance)
    finally:
        prometheus.server.remove_scrape_job("forescale-telemetry")
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_prometheus_scrapes_the_forescale_metrics(
    prometheus: SeededPrometheus, scraped: Scraped
) -> None:
    telemetry, instance = scraped.telemetry, f'instance="{scraped.instance}"'
    telemetry.record_forecast("checkout", mean=120.0, quantile=150.0, level=0.9)
    telemetry.record_decision(
        "checkout", mode=Mode.PREDICTIVE, action="raise", floor=7, floor_source="predictive"
    )
    telemetry.record_cycle(seconds=0.02, at=datetime.now(UTC))
    server = prometheus.server
    server.wait_for(f"{scraped.floor('checkout')} == 7")
    mode = server.query(f'forescale_mode{{{instance},target="checkout",mode="predictive"}}')
    assert mode[0]["value"][1] == "1"
    quantile = f'forescale_forecast_load_quantile{{{instance},target="checkout",quantile="0.9"}}'
    assert server.query(f"{quantile} == 150")
    assert server.query(f"forescale_cycle_duration_seconds_count{{{instance}}} == 1")
    assert server.query(f"up{{{instance}}}")[0]["value"][1] == "1"


def test_a_forgotten_series_reads_back_as_nan_after_its_stale_marker(
    prometheus: SeededPrometheus, scraped: Scraped
) -> None:
    floor = scraped.floor("cart")
    began = datetime.now(UTC)
    scraped.telemetry.record_decision(
        "cart", mode=Mode.PREDICTIVE, action="raise", floor=5, floor_source="predictive"
    )
    prometheus.server.wait_for(f"{floor} == 5")
    scraped.telemetry.forget("cart")
    prometheus.server.wait_for(f"absent({floor})")  # the stale marker is in
    src = PrometheusSource.from_url(prometheus.url, timeout=5)
    after_marker = datetime.now(UTC) + SECOND  # a grid point later than the marker
    got = src.range_query(floor, start=began, end=after_marker, step=SECOND)
    values = got.to_numpy()
    present = ~np.isnan(values)
    assert present.any() and (values[present] == 5).all()
    # Without the marker the lookback would repeat 5 for 5 minutes; the tail is NaN instead.
    last = present.nonzero()[0][-1]
    assert last < len(values) - 1 and np.isnan(values[last + 1 :]).all()
