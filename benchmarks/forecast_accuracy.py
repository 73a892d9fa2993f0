"""How accurate and how well calibrated is each forecaster on real traffic?

The issue's acceptance test: the NASA KSC trace (July-August 1995, two multi-day gaps) resampled
to 5 minutes, 60-minute horizon, rolling origins at every observed step of the last 28 days,
refit every day on the last 28 days of history (cheap update in between), every registered
model plus variants (``auto`` keeping only its best model, weekly seasonal naive, MSTL+ARIMA).
`auto` must reach a MASE at least 35% below the daily seasonal naive with its 90% interval
covering 85-95% of actuals. Gaps are filled for training
(same time last week) and never scored (`models.evaluation`).

    .venv/bin/python -m benchmarks.forecast_accuracy           # full run (~5 min), writes results
    .venv/bin/python -m benchmarks.forecast_accuracy --quick   # bundled 21-day slice, prints only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

from benchmarks._common import (
    command_line,
    machine_summary,
    markdown_table,
    progress,
    write_section,
)
from forescale.models.datasets import load_example, load_trace
from forescale.models.evaluation import BacktestResult, backtest
from forescale.models.registry import FORECASTERS, make_forecaster
from forescale.models.validation import to_timedelta

SECTION = "forecast_accuracy"
REPO = Path(__file__).resolve().parents[1]
NASA = REPO.parent / "shared" / "data" / "nasa_kennedy_http_1995_per_minute.csv"
TARGET_GAIN = 0.35
COVERAGE = (0.85, 0.95)


def candidates(quick: bool) -> list[tuple[str, dict[str, object]]]:
    if quick:
        return [("seasonal_naive", {}), ("ridge", {}), ("auto", {})]
    return [(name, {}) for name in FORECASTERS] + [
        ("seasonal_naive", {"period": "7d"}),
        ("auto", {"ensemble": 1}),
        ("mstl", {"remainder": "arima"}),
    ]


def label(name: str, params: dict[str, object]) -> str:
    return name if not params else f"{name} {json.dumps(params)}"


def evaluate(y: pd.Series, args: argparse.Namespace) -> list[tuple[str, BacktestResult, float]]:
    step = to_timedelta(args.step)
    out = []
    for name, params in candidates(args.quick):
        progress(SECTION, f"{label(name, params)} ...")
        start = time.perf_counter()
        result = backtest(
            make_forecaster(name, **params),
            y,
            horizon=int(to_timedelta(args.horizon) / step),
            test_size=int(to_timedelta(args.test) / step),
            refit_every=int(to_timedelta(args.refit_every) / step),
            train_window=int(to_timedelta(args.train_window) / step),
        )
        elapsed = time.perf_counter() - start
        progress(SECTION, f"{label(name, params)}: MASE {result.metrics.mase:.3f} ({elapsed:.0f}s)")
        out.append((label(name, params), result, elapsed))
    return out


def verdict(results: list[tuple[str, BacktestResult, float]]) -> str:
    by_label = {name: result.metrics for name, result, _ in results}
    naive, auto = by_label["seasonal_naive"], by_label["auto"]
    gain = 1 - auto.mase / naive.mase
    ok = gain >= TARGET_GAIN and COVERAGE[0] <= auto.coverage_90 <= COVERAGE[1]
    return (
        f"**{'PASS' if ok else 'FAIL'}**: `auto` MASE {auto.mase:.3f} is {100 * gain:.0f}% below "
        f"the daily seasonal naive's {naive.mase:.3f} (target >= {100 * TARGET_GAIN:.0f}%); its "
        f"90% interval covers {100 * auto.coverage_90:.1f}% of actuals (target "
        f"{100 * COVERAGE[0]:.0f}-{100 * COVERAGE[1]:.0f}%)."
    )


def report(results: list[tuple[str, BacktestResult, float]], *, setup: str) -> str:
    naive = next(r.metrics.mase for name, r, _ in results if name == "seasonal_naive")
    rows = []
    for name, result, elapsed in results:
        m = result.metrics
        rows.append(
            [
                f"`{name}`",
                f"{m.mase:.3f}",
                f"{100 * (1 - m.mase / naive):+.0f}%",
                f"{m.smape:.1f}",
                f"{m.pinball:.2f}",
                f"{m.coverage_90:.3f}",
                f"{100 * m.under_forecast_p90:.1f}%",
                f"{m.fit_ms:.0f}",
                f"{1e3 * m.predict_ms:.0f}",
                ", ".join(result.answered_by),
                f"{elapsed:.0f}",
            ]
        )
    header = [
        "model",
        "MASE",
        "vs daily naive",
        "sMAPE %",
        "pinball",
        "coverage 90%",
        "under-forecast p90",
        "fit ms (median)",
        "µs/origin",
        "answered by",
        "run s",
    ]
    return "\n\n".join(
        [
            "## Forecast accuracy (`benchmarks/forecast_accuracy.py`)",
            f"Command: `{command_line()}`  \nMachine: {machine_summary()}.",
            setup,
            markdown_table(header, rows),
            verdict(results),
            "MASE is scaled by the in-sample MAE of the daily seasonal naive before the first "
            "origin; `vs daily naive` is 1 - MASE/MASE(naive). Under-forecast p90: 90th "
            "percentile of max(actual - mean, 0)/actual. µs/origin: `forecast_origins` wall "
            "time per origin (12 steps, 3 quantiles). `answered by`: the model(s) `auto` chose "
            "at each refit.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trace", type=Path, default=NASA, help="timestamp,value CSV")
    parser.add_argument("--step", default="5m")
    parser.add_argument("--horizon", default="60m")
    parser.add_argument("--test", default="28d", help="test window at the end")
    parser.add_argument("--refit-every", default="1d")
    parser.add_argument("--train-window", default="28d", help="history each refit sees")
    parser.add_argument("--quick", action="store_true", help="bundled slice, 3 models, no write")
    args = parser.parse_args(argv)
    if args.quick:
        raw, source = load_example("nasa"), "bundled NASA slice (21 days)"
        args.test, args.train_window, args.refit_every = "3d", "14d", "1d"
    else:
        raw, source = load_trace(args.trace), f"`{args.trace.name}` (shared data)"
    step = to_timedelta(args.step)
    y = raw.resample(step, origin="epoch").mean()
    setup = (
        f"Data: {source}, {int(raw.notna().sum()):,} observed minutes over {len(raw):,}, "
        f"resampled to {args.step} by mean "
        f"({len(y):,} steps, {int(y.isna().sum()):,} missing). Horizon {args.horizon}; origins "
        f"at every observed step of the last {args.test}; refit every {args.refit_every} on the "
        f"last {args.train_window}."
    )
    results = evaluate(y, args)
    body = report(results, setup=setup)
    print(body)
    if not args.quick:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
