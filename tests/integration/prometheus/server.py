"""pytest plugin: a real Prometheus, backfilled from real traces, shared by every test folder.

Register it once in tests/conftest.py::

    pytest_plugins = ["tests.integration.prometheus.server"]

Fixtures:
- ``prometheus`` (session): one server for the whole run, holding the `SeededPrometheus` data
  below (NASA trace, 200-target batch, NaN/gap, ambiguous and counter-reset series), scraping
  every second; tests can add scrape jobs with ``prometheus.server.add_scrape_job(...)``.
- ``prometheus_factory``: starts extra servers (e.g. to kill one mid-test), stopped at teardown.

Prometheus and promtool come from PATH (Debian package ``prometheus``; ``./dev test`` installs
it). When missing, tests fail in CI and skip elsewhere, via ``tests.conftest.require``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import require, shared_trace
from tests.integration.prometheus.openmetrics import Family, Series
from tests.integration.prometheus.process import PrometheusServer, binaries, start_prometheus

__all__ = [
    "BATCH_QUERY",
    "NASA_QUERY",
    "SeededPrometheus",
    "nasa_family",
    "prometheus",
    "prometheus_factory",
    "synthetic_family",
]

NASA_TRACE = "nasa_kennedy_http_1995_per_minute.csv"
NASA_QUERY = 'nasa_http_requests_per_minute{site="ksc"}'
BATCH_QUERY = "sum by (service) (synthetic_load)"
MULTI_QUERY = "multi_zone_load"
GAPPY_QUERY = "gappy_load"
COUNTER_QUERY = "sum(rate(reset_requests_total[5m]))"
MINUTE = 60


@dataclass(frozen=True)
class SeededPrometheus:
    """The session server and exactly what was backfilled into it (the expected answers)."""

    server: PrometheusServer
    end: datetime
    """The last backfilled minute (every seeded series ends here)."""
    nasa: pd.Series
    """NASA KSC requests/minute, last 14 days of the trace shifted to end at ``end``."""
    batch: dict[str, pd.Series]
    """``service`` -> series of ``synthetic_load`` (3 hours, 1 minute)."""
    gappy: pd.Series
    """``gappy_load``: NaN samples and a 30-minute hole with no samples at all."""

    @property
    def url(self) -> str:
        return self.server.url


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _index(end: datetime, points: int) -> pd.DatetimeIndex:
    return pd.date_range(end=end, periods=points, freq="1min")


def _series(labels: dict[str, str], values: pd.Series) -> Series:
    seconds = pd.DatetimeIndex(values.index).as_unit("s").asi8
    return Series(labels, seconds, values.to_numpy(dtype=float))


def nasa_family(*, end: datetime, days: int = 14) -> tuple[Family, pd.Series]:
    """The NASA trace's last ``days`` days, shifted whole minutes so they end at ``end``."""
    frame = pd.read_csv(shared_trace(NASA_TRACE))
    values = frame["value"].to_numpy(dtype=float)[-days * 1440 :]
    expected = pd.Series(values, index=_index(end, len(values)), name=NASA_QUERY)
    family = Family(
        "nasa_http_requests_per_minute",
        "gauge",
        "NASA KSC HTTP requests per minute (1995), time-shifted.",
        [_series({"site": "ksc", "trace": "nasa_1995"}, expected)],
    )
    return family, expected


def synthetic_family(
    *, end: datetime, targets: int, minutes: int, seed: int = 0
) -> tuple[Family, dict[str, pd.Series]]:
    """``synthetic_load{service="svc-NNNN"}``: diurnal load with noise, one series per target."""
    rng = np.random.default_rng(seed)
    index = _index(end, minutes)
    phase = (index.as_unit("s").asi8 % 86_400) / 86_400 * 2 * np.pi
    expected: dict[str, pd.Series] = {}
    for i in range(targets):
        base = 20.0 + 5.0 * (i % 17)
        load = base * (1 + 0.4 * np.sin(phase + i)) + rng.normal(0, base * 0.05, minutes)
        expected[f"svc-{i:04d}"] = pd.Series(np.round(load, 3), index=index)
    family = Family(
        "synthetic_load",
        "gauge",
        "Synthetic per-service load for batch queries.",
        [_series({"service": k, "namespace": "batch"}, v) for k, v in expected.items()],
    )
    return family, expected


GAPPY_NAN_SAMPLES = (10, 11, 50)
"""Positions (minutes from the start) of ``gappy_load`` samples whose value is NaN."""
GAPPY_HOLE = slice(100, 130)
"""Positions of ``gappy_load`` with no sample at all: 30 minutes, longer than the lookback."""


def _edge_case_families(end: datetime) -> tuple[list[Family], pd.Series]:
    index = _index(end, 180)
    seconds = index.as_unit("s").asi8
    values = np.arange(1.0, 181.0)
    values[list(GAPPY_NAN_SAMPLES)] = np.nan
    present = np.ones(180, dtype=bool)
    present[GAPPY_HOLE] = False
    gappy = pd.Series(np.where(present, values, np.nan), index=index, name=GAPPY_QUERY)
    multi = [
        _series({"zone": zone}, pd.Series(np.full(180, level), index=index))
        for zone, level in (("a", 1.0), ("b", 2.0))
    ]
    counter = np.cumsum(np.full(120, 600.0))  # 10 per second...
    counter[60:] -= counter[59]  # ...reset to zero an hour in (a restarted process)
    families = [
        Family(
            "gappy_load",
            "gauge",
            "NaN samples and a hole.",
            [Series({}, seconds[present], values[present])],
        ),
        Family("multi_zone_load", "gauge", "Two series: one query, two answers.", multi),
        Family(
            "reset_requests",
            "counter",
            "A counter that resets.",
            [_series({"instance": "a"}, pd.Series(counter, index=_index(end, 120)))],
        ),
    ]
    return families, gappy


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededPrometheus]:
    """One backfilled Prometheus for the whole test session, stopped by PID at the end."""
    require("prometheus + promtool", binaries() is not None, "apt-get install prometheus")
    end = minute_floor(datetime.now(UTC)) - timedelta(minutes=1)
    nasa, nasa_expected = nasa_family(end=end)
    batch, batch_expected = synthetic_family(end=end, targets=200, minutes=180)
    edge, gappy = _edge_case_families(end)
    server = start_prometheus(
        tmp_path_factory.mktemp("prometheus"), families=[nasa, batch, *edge], retention="30d"
    )
    try:
        yield SeededPrometheus(
            server=server, end=end, nasa=nasa_expected, batch=batch_expected, gappy=gappy
        )
    finally:
        server.stop()


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[Callable[..., PrometheusServer]]:
    """Start extra servers (``factory(families=[...])``); all are stopped after the test."""
    require("prometheus + promtool", binaries() is not None, "apt-get install prometheus")
    started: list[PrometheusServer] = []

    def factory(**kwargs: Any) -> PrometheusServer:
        server = start_prometheus(tmp_path / f"prometheus-{len(started)}", **kwargs)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
