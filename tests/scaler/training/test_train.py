"""A training pass selects by backtest, saves with its card, and promotes only when not worse."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forescale.scaler.errors import MetricsUnavailable
from forescale.scaler.modelstore import DirectoryModelStore
from forescale.scaler.training import (
    TrainOptions,
    TrainTarget,
    from_series,
    train_all,
    train_target,
)
from tests.scaler.training.conftest import NOW

FAST = TrainOptions(candidates=("level", "fft"), test=timedelta(days=1), origins=40)


def target(y: pd.Series, name: str = "web") -> TrainTarget:
    return from_series(name, y, horizon=timedelta(minutes=30))


@pytest.fixture
def store(tmp_path: Path) -> DirectoryModelStore:
    return DirectoryModelStore(tmp_path / "models")


def test_the_lowest_mase_candidate_is_refitted_saved_with_its_backtest_and_promoted_first(
    store: DirectoryModelStore, nasa_5m: pd.Series
) -> None:
    report = train_target(target(nasa_5m), store=store, options=FAST, now=NOW)

    assert report.ok, report.error
    by_model = {c.model: c.metrics for c in report.candidates}
    assert set(by_model) == {"level", "fft"}
    best = min(by_model, key=lambda m: by_model[m].mase)  # type: ignore[union-attr]
    assert report.selected == best and report.promoted
    assert store.promoted("web") == report.version
    model, card = store.load("web")
    assert card.model == best and card.train_end == nasa_5m.index[-1]
    assert card.metrics["mase"] == pytest.approx(by_model[best].mase)  # type: ignore[union-attr]
    assert card.metrics["horizon_steps"] == 6 and card.metrics["test_hours"] == 24
    assert any("nothing promoted yet" in note for note in card.notes)
    assert len(model.predict(6).mean) == 6


def test_a_worse_model_is_saved_but_not_promoted_and_force_promotes_it(
    store: DirectoryModelStore, nasa_5m: pd.Series
) -> None:
    good = train_target(target(nasa_5m), store=store, options=FAST, now=NOW)
    naive = TrainOptions(candidates=("seasonal_naive",), test=timedelta(days=1), origins=40)

    worse = train_target(target(nasa_5m), store=store, options=naive, now=NOW)
    assert worse.ok and not worse.promoted and worse.version in store.versions("web")
    assert store.promoted("web") == good.version
    assert worse.baseline is not None and worse.baseline_version == good.version
    assert "not promoted, worse" in worse.reason and "--force" in worse.reason

    forced = train_target(
        target(nasa_5m), store=store, options=TrainOptions(
            candidates=("seasonal_naive",), test=timedelta(days=1), origins=40, force=True),
        now=NOW,
    )  # fmt: skip
    assert forced.promoted and store.promoted("web") == forced.version
    assert "forced" in forced.reason


def test_retraining_the_same_configuration_on_the_same_data_refreshes_the_promoted_model(
    store: DirectoryModelStore, nasa_5m: pd.Series
) -> None:
    first = train_target(target(nasa_5m), store=store, options=FAST, now=NOW)
    again = train_target(target(nasa_5m), store=store, options=FAST, now=NOW)
    assert again.promoted and again.version != first.version
    assert again.baseline is not None and again.baseline.metrics is not None
    winner = next(c for c in again.candidates if c.model == again.selected)
    assert winner.metrics is not None
    assert again.baseline.metrics.mase == pytest.approx(winner.metrics.mase)
    assert store.promoted("web") == again.version


def _failing_loader() -> pd.Series:
    raise MetricsUnavailable("prometheus at http://127.0.0.1:9 is unreachable")


def test_one_failing_target_is_reported_and_the_others_are_still_trained(
    store: DirectoryModelStore, nasa_5m: pd.Series
) -> None:
    broken = TrainTarget(name="down", step=timedelta(minutes=5), horizon=6, load=_failing_loader)
    short = target(nasa_5m.iloc[:30], name="new-service")
    reports = train_all(
        [broken, short, target(nasa_5m, name="web")], store=store, options=FAST, now=NOW
    )

    assert [r.ok for r in reports] == [False, False, True]
    assert "unreachable" in (reports[0].error or "")
    assert "too short" in (reports[1].error or "")
    assert store.promoted("web") == reports[2].version and store.versions("down") == []


def test_a_history_without_any_observation_fails_with_a_hint_to_check_the_query(
    store: DirectoryModelStore, nasa_5m: pd.Series
) -> None:
    empty = pd.Series(np.nan, index=nasa_5m.index)
    report = train_target(target(empty), store=store, options=FAST, now=NOW)
    assert not report.ok and "check the query" in (report.error or "")


def test_namespaced_targets_are_stored_under_their_model_key(
    store: DirectoryModelStore, nasa_5m: pd.Series
) -> None:
    report = train_target(target(nasa_5m, name="shop/checkout"), store=store, options=FAST,
                          now=NOW)  # fmt: skip
    assert report.ok and store.promoted("shop_checkout") == report.version


def test_progress_is_reported_per_candidate(store: DirectoryModelStore, nasa_5m: pd.Series) -> None:
    seen: list[str] = []

    class Bar:
        def __init__(self, label: str) -> None:
            self.label = label

        def __call__(self, done: int, total: int) -> None:
            seen.append(f"{self.label} {done}/{total}")

        def done(self, outcome: str) -> None:
            seen.append(f"{self.label}: {outcome}")

    factory: Callable[[str], Bar] = Bar
    train_target(target(nasa_5m), store=store, options=FAST, now=NOW, progress=factory)
    assert any(s.startswith("web: level: MASE") for s in seen)
    assert any(s.startswith("web: fft 1/") for s in seen)


def test_the_shadow_window_compares_the_promoted_artifact_with_the_candidate_live(
    store: DirectoryModelStore, nasa_5m: pd.Series
) -> None:
    older = nasa_5m.iloc[:-288]  # the promoted model was trained a day ago
    train_target(target(older), store=store, options=FAST, now=NOW)
    options = TrainOptions(
        candidates=("level", "fft"), test=timedelta(days=1), origins=40,
        shadow=timedelta(hours=12),
    )  # fmt: skip
    report = train_target(target(nasa_5m), store=store, options=options, now=NOW)

    assert report.ok and report.shadow is not None
    scored = report.shadow.candidate.scored
    assert scored == report.shadow.production.scored > 100  # same origins for both
    assert report.shadow.candidate_better is not None
    assert report.shadow.verdict.startswith("candidate ")
