"""Forecasts (fresh from the model) and accuracy over time (from either store)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import RecordStore
from forescale.service.app import create_app
from tests.service.conftest import NOW, TARGET, UNTRAINED
from tests.service.fake_view import FakeController
from tests.service.history import Shape, daily_loads, seed


def test_a_forecast_has_one_point_per_step_with_a_band_around_the_mean(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/forecast?horizon_steps=30", headers=as_viewer)
    assert reply.status_code == 200
    body = reply.json()
    points = body["points"]
    assert len(points) == 30 and body["quantile"] == 0.9
    assert all(p["lower"] < p["mean"] < p["upper"] for p in points)
    assert points[0]["at"] == (NOW + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")


def test_a_higher_quantile_widens_the_band_top(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    url = f"/v1/targets/{TARGET}/forecast?horizon_steps=5"
    p90 = client.get(url, headers=as_viewer).json()["points"]
    p99 = client.get(url + "&quantile=0.99", headers=as_viewer).json()["points"]
    assert all(b["upper"] > a["upper"] for a, b in zip(p90, p99, strict=True))


def test_the_forecast_names_its_model_card_and_training_window(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    body = client.get(f"/v1/targets/{TARGET}/forecast", headers=as_viewer).json()
    assert body["model"] == "v1" and body["model_version"] == "v1"
    assert body["model_card"]["params"] == {"season": 1440}
    assert body["model_card"]["metrics"] == {"mase": 0.8, "coverage_p90": None}  # NaN -> null
    window = body["training_window"]
    assert window["end"] == NOW.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("steps", ["0", "-3", "2881", "ten", "1.5"])
def test_a_horizon_outside_one_to_two_days_of_steps_is_a_422(
    client: TestClient, as_viewer: dict[str, str], steps: str
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/forecast?horizon_steps={steps}", headers=as_viewer)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["location"] == "query parameter 'horizon_steps'"


def test_a_target_without_a_model_answers_503_with_retry_after(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    reply = client.get(f"/v1/targets/{UNTRAINED}/forecast", headers=as_viewer)
    assert reply.status_code == 503
    assert "no trained model" in reply.json()["detail"] and int(reply.headers["retry-after"]) > 0


@pytest.mark.parametrize(("bias", "expected_under"), [(1.1, 0.0), (0.7, 1.0)])
def test_accuracy_pairs_each_actual_with_the_forecast_made_a_lead_time_before(
    view: FakeController,
    any_store: RecordStore,
    clock: VirtualClock,
    settings: ApiSettings,
    as_viewer: dict[str, str],
    bias: float,
    expected_under: float,
) -> None:
    shape = Shape(bias=bias)
    loads = daily_loads(NOW, hours=3)
    seed(any_store, TARGET, loads, shape)
    app = create_app(view, any_store, settings=settings, clock=clock)
    with TestClient(app) as client:
        body = client.get(f"/v1/targets/{TARGET}/accuracy", headers=as_viewer).json()
    pairs = body["pairs"]
    assert body["horizon_seconds"] == 300.0
    # the first forecast is issued at the first load, so the first scored actual is 5 min later
    assert len(pairs) == len(loads) - 5
    assert all(
        p["mean"] == pytest.approx(bias * p["actual"])
        and timedelta(minutes=5) <= _t(p["at"]) - _t(p["issued_at"]) < timedelta(minutes=10)
        for p in pairs
    )
    mean_actual = statistics.fmean(p["actual"] for p in pairs)
    assert body["summary"]["mae"] == pytest.approx(abs(bias - 1) * mean_actual)
    assert body["summary"]["under_rate"] == expected_under
    assert len(body["rolling"]) == 18 and body["rolling"][0]["relative_error"] == pytest.approx(
        bias - 1
    )


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-11-10T00:00:00Z&end=2026-11-20T00:00:00Z", "longer than 7 days"),
        ("start=2026-11-20T00:00:00Z&end=2026-11-19T00:00:00Z", "start must be before end"),
        ("start=2026-11-19T00:00:00", "needs a UTC offset"),
        ("start=yesterday", "not an ISO 8601 time"),
        ("end=1700000000", "not an ISO 8601 time"),
        ("end=9999-12-31T23:59:59-05:00", "between 1970 and 2200"),
        ("horizon_seconds=-1", "horizon_seconds"),
    ],
)
def test_bad_accuracy_ranges_are_a_422_saying_what_is_wrong(
    client: TestClient, as_viewer: dict[str, str], query: str, message: str
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/accuracy?{query}", headers=as_viewer)
    assert reply.status_code == 422
    assert message in reply.json()["detail"]


@pytest.mark.parametrize("asked", ["1e-320", "0", "0.05", "0.49", "0.9999", "1", "nan", "inf"])
@pytest.mark.parametrize("endpoint", ["forecast", "plan"])
def test_a_quantile_outside_the_median_to_p99_9_is_a_422_that_says_the_range(
    client: TestClient, as_viewer: dict[str, str], asked: str, endpoint: str
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/{endpoint}?quantile={asked}", headers=as_viewer)

    assert reply.status_code == 422, reply.text  # 1e-320 used to give an inverted band
    error = reply.json()["errors"][0]
    assert error["location"] == "query parameter 'quantile'"
    assert "0.5" in error["message"] or "0.999" in error["message"]


@pytest.mark.parametrize("asked", ["0.5", "0.999"])
def test_the_quantile_range_is_inclusive_and_the_band_is_never_inverted(
    client: TestClient, as_viewer: dict[str, str], asked: str
) -> None:
    url = f"/v1/targets/{TARGET}/forecast?horizon_steps=5&quantile={asked}"
    reply = client.get(url, headers=as_viewer)

    assert reply.status_code == 200
    assert all(p["lower"] <= p["upper"] for p in reply.json()["points"])
