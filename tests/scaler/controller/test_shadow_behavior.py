"""The controller's reactive shadow and its tuning follow the target HPA's ``spec.behavior``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forescale.scaler.controller import tuning
from forescale.scaler.controller.prediction import Prediction, RuntimeSettings
from forescale.scaler.controller.shadow import ReactiveShadow
from forescale.scaler.domain import Capacity, HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.hpa.behavior import HpaBehavior
from forescale.scaler.hpa.spec import parse_behavior
from forescale.scaler.tuning.config import TuningConfig
from forescale.scaler.tuning.fastsim import Window, hpa_counts

T0 = datetime(2026, 3, 2, tzinfo=UTC)
POLICY = ScalingPolicy(capacity_per_replica=100.0, max_replicas=40, target_utilization=0.8)
ONE_POD = {"type": "Pods", "value": 1, "periodSeconds": 300}
SLOW_DOWN = {"scaleDown": {"stabilizationWindowSeconds": 0, "policies": [ONE_POD]}}


def _capacity(current: int, behavior: dict[str, Any] | None) -> Capacity:
    return Capacity(current_replicas=current, min_replicas=2, max_replicas=40,
                    baseline_min_replicas=2, hpa_behavior=behavior)  # fmt: skip


def test_the_shadow_scales_down_as_the_hpa_object_says() -> None:
    default, slow = ReactiveShadow("web"), ReactiveShadow("web")
    assert slow.follow(SLOW_DOWN) == parse_behavior(SLOW_DOWN)
    # 20 replicas, a load of 400 asks for ceil(400 / 80) = 5. The default HPA holds 20 for its
    # 300 s window (it started now); this one has no window and removes one pod per 5 minutes.
    for shadow, behavior, want in ((default, None, 20), (slow, SLOW_DOWN, 19)):
        replicas, reason = shadow.recommend(
            now=T0, capacity=_capacity(20, behavior), load=400.0, capacity_per_replica=100.0,
            target_utilization=0.8,
        )  # fmt: skip
        assert replicas == want and reason.startswith(f"reactive says {want} (")


def test_an_unreadable_behavior_is_logged_and_the_default_used(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shadow = ReactiveShadow("web")
    bad = {"scaleDown": {"selectPolicy": "Fastest"}}
    assert shadow.follow(bad) == HpaBehavior.default()
    assert "spec.behavior.scaleDown.selectPolicy: must be one of Max, Min, Disabled" in caplog.text


def test_the_tuner_replays_the_hpas_behavior(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the prediction last saw of the HPA reaches the tuner's window, and its HPA alone is
    the one with that behavior."""
    spec = TargetSpec(name=TargetName("web"), ref=HpaRef(namespace="shop", name="web"),
                      query="q", policy=POLICY, step=timedelta(minutes=5))  # fmt: skip
    prediction = Prediction(spec, settings=RuntimeSettings(), models=None)
    prediction.hpa_behavior = parse_behavior(SLOW_DOWN)
    seen: dict[str, Any] = {}

    def spy(*args: object, **kwargs: Any) -> None:
        seen.update(kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(tuning, "tune_window", spy)
        prediction._retune(T0)  # noqa: SLF001 - the refit's tuning step, without a refit
    assert seen["behavior"] == parse_behavior(SLOW_DOWN)

    # tune_window builds its window with that behavior: the HPA alone it reports is that HPA.
    days, step = 3, timedelta(minutes=5)
    n = int(timedelta(days=days) / step)
    index = pd.date_range(T0, periods=n, freq=step, tz="UTC")
    load = pd.Series(np.where(np.arange(n) % 288 < 144, 2000.0, 400.0), index=index)
    means = np.tile(load.to_numpy()[:, None], (1, 4))
    config = TuningConfig(min_forecasts=timedelta(days=1))
    result = tuning.tune_window(load, means, base=POLICY, config=config, step=step,
                                previous=None, behavior=parse_behavior(SLOW_DOWN))  # fmt: skip
    assert result is not None
    window = Window(load=load.to_numpy(), mean=means, step_seconds=300.0, capacity=100.0,
                    min_replicas=1, max_replicas=40, startup=3, calibration=288,
                    behavior=parse_behavior(SLOW_DOWN))  # fmt: skip
    slow_hours = hpa_counts(window, target_utilization=0.8).sum() * 300 / 3600
    assert result.hpa.replica_hours == pytest.approx(slow_hours)
    default = tuning.tune_window(load, means, base=POLICY, config=config, step=step,
                                 previous=None)  # fmt: skip
    assert default is not None and default.hpa.replica_hours < result.hpa.replica_hours
