"""The backtest, the live ledger and the history comparison compute their accuracy figures
through one module (`forescale.models.accuracy`); these are their figures on fixed inputs from
before that move, to the last bit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from forescale.models.datasets import synthetic_traffic
from forescale.models.evaluation import backtest
from forescale.models.registry import make_forecaster
from forescale.scaler.planning.ledger import ForecastLedger
from forescale.scaler.store.compare import Pair, summarize

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_backtest_figures_are_unchanged() -> None:
    y = synthetic_traffic(days=6, freq="30min", seed=3)
    m = backtest(make_forecaster("ridge"), y, horizon=4, test_size=96, refit_every=48).metrics
    assert [m.mase, m.smape, m.pinball, m.coverage_90, m.under_forecast_p90, m.n_scored] == [
        1.8884128596902476,
        31.309853331262556,
        9.432110168345806,
        0.4701086956521739,
        0.06300013487207744,
        368,
    ]


def test_history_comparison_figures_are_unchanged() -> None:
    rng = np.random.default_rng(7)
    actual, mean = rng.gamma(5, 20, 300), rng.gamma(5, 20, 300)
    scored = [
        Pair(
            at=T0 + timedelta(minutes=i), actual=float(a), mean=float(f), lower=None,
            upper=None if i % 5 == 0 else float(f * 1.1), issued_at=T0,
        )
        for i, (a, f) in enumerate(zip(actual, mean, strict=True))
    ]  # fmt: skip
    s = summarize(scored)
    assert [s.pairs, s.mae, s.wape, s.under_rate] == [
        300,
        46.38908197480421,
        0.5187916932196154,
        0.35833333333333334,
    ]
    assert summarize([]).mae is None


def test_live_ledger_figures_are_unchanged() -> None:
    rng = np.random.default_rng(7)
    rng.gamma(5, 20, 600)  # the draws the comparison above used: same stream as before
    ledger = ForecastLedger(step=timedelta(minutes=1), horizon=3, window=50, min_scored=5)
    load = 100 + 30 * np.sin(np.arange(400) / 20) + rng.normal(0, 5, 400)
    for i in range(400):
        at = T0 + timedelta(minutes=i)
        ledger.observe(at, float(load[i]))
        mean = load[i] + rng.normal(0, 4, 3)
        ledger.record_forecast(at, mean, load[i] + 6 + rng.normal(0, 4, 3))
    figures = [
        [a.scored, a.mae, a.mean_actual, a.skill, a.under_rate, a.bias, a.relative_error]
        for a in map(ledger.accuracy, (1, 2, 3))
    ]
    assert figures == [
        [50, 6.69599634165778, 97.14280270045263, 1.0906669790158512, 0.32,
         -0.011678524696965144, 0.06892941273586067],
        [50, 7.077163402586053, 97.14280270045263, 1.1644509305960935, 0.32,
         -0.01812782394366015, 0.07285319350326998],
        [50, 7.023290405768716, 97.14280270045263, 1.2528586606499403, 0.3,
         -0.034693268199971226, 0.07229861822522844],
    ]  # fmt: skip
