"""How long does each forecaster take to fit and to forecast?

For 14 days of 1-minute history and 28 days of 5-minute history (seeded synthetic traffic; cost
does not depend on the values), per registered model with default parameters:

- fit: p50 and p99 over repeated fits (this includes the quantile calibration, i.e. the
  held-out refit each model does);
- predict from the fitted model: a 60-minute forecast with three quantiles, without and with a
  30-minute context of newer observations (the controller's cheap update, every tick);
- ``forecast_origins`` cost per origin over one day of origins (every step), 60 steps ahead;

each beside statsmodels' own Holt-Winters fit (``ExponentialSmoothing`` additive damped trend,
daily season, heuristic initialisation: the estimated one takes minutes at 1440 seasons) and its
``forecast`` in the same run, as ratios.

    .venv/bin/python -m benchmarks.forecast_latency           # full run (~5 min), writes RESULTS.md
    .venv/bin/python -m benchmarks.forecast_latency --quick   # smoke test (seconds), prints only
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from benchmarks._common import (
    Timing,
    command_line,
    machine_summary,
    markdown_table,
    progress,
    time_calls,
    write_section,
)
from forescale.models.base import BaseForecaster
from forescale.models.datasets import synthetic_traffic
from forescale.models.registry import FORECASTERS, make_forecaster
from forescale.models.threads import one_thread

SECTION = "forecast_latency"
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True, slots=True)
class Scenario:
    label: str
    days: int
    freq: str


FULL = (Scenario("14 d @ 1 min", 14, "1min"), Scenario("28 d @ 5 min", 28, "5min"))
QUICK = (Scenario("4 d @ 1 h", 4, "1h"),)


@dataclass(frozen=True, slots=True)
class Row:
    model: str
    fit: Timing
    predict: Timing
    update: Timing
    per_origin: float


def baseline(train: pd.Series, *, horizon: int, runs: int) -> tuple[Timing, Timing]:
    """statsmodels' Holt-Winters: fit, and forecast from its fitted results."""
    day = int(pd.Timedelta("1D") / pd.Timedelta(train.index.freq))

    def fit() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ExponentialSmoothing(
                train.to_numpy(),
                trend="add",
                damped_trend=True,
                seasonal="add",
                seasonal_periods=day,
                initialization_method="heuristic",
            ).fit()

    result = fit()
    fit_timing = time_calls(fit, runs=runs, warm_up=0)
    forecast_timing = time_calls(lambda: result.forecast(horizon), runs=max(runs, 20))
    return fit_timing, forecast_timing


def measure(name: str, train: pd.Series, new: pd.Series, *, horizon: int, quick: bool) -> Row:
    model: BaseForecaster = make_forecaster(name)
    first = time_calls(lambda: model.fit(train), runs=1, warm_up=0)
    runs = 1 if quick else (5 if first.median < 2 else 3)
    fit = Timing(
        first.samples + time_calls(lambda: model.fit(train), runs=runs - 1, warm_up=0).samples
    )
    context = new.iloc[: max(1, int(pd.Timedelta("30min") / pd.Timedelta(train.index.freq)))]
    n_predict = 20 if quick else 200
    predict = time_calls(lambda: model.predict(horizon, quantiles=QUANTILES), runs=n_predict)
    update = time_calls(
        lambda: model.predict(horizon, quantiles=QUANTILES, context=context), runs=n_predict
    )
    y = pd.concat([train, new])
    origins = pd.DatetimeIndex(new.index)
    steps = np.arange(1, horizon + 1)
    rolling = time_calls(
        lambda: model.forecast_origins(y, origins, steps=steps, quantiles=QUANTILES),
        runs=1 if quick else 3,
    )
    return Row(name, fit, predict, update, rolling.median / len(origins))


def latency_table(rows: list[Row], *, hw_fit: Timing, hw_forecast: Timing) -> str:
    baseline_row = ["statsmodels Holt-Winters (baseline)", hw_fit.ms(), hw_fit.ms("p99"), "1.00"]
    baseline_row += [hw_forecast.ms(), hw_forecast.ms("p99"), "-", "-", "-", str(hw_fit.runs)]
    table = [baseline_row]
    for row in rows:
        table.append(
            [
                f"`{row.model}`",
                row.fit.ms(),
                row.fit.ms("p99"),
                f"{row.fit.median / hw_fit.median:.2f}",
                row.predict.ms(),
                row.predict.ms("p99"),
                row.update.ms(),
                row.update.ms("p99"),
                f"{1e6 * row.per_origin:.1f}",
                str(row.fit.runs),
            ]
        )
    header = [
        "model",
        "fit p50 ms",
        "fit p99 ms",
        "fit / HW fit",
        "predict p50 ms",
        "predict p99 ms",
        "update+predict p50 ms",
        "update+predict p99 ms",
        "forecast_origins µs/origin",
        "fit runs",
    ]
    return markdown_table(header, table)


def run_scenario(scenario: Scenario, *, quick: bool) -> str:
    y = synthetic_traffic(days=scenario.days + 1, freq=scenario.freq, seed=0)
    split = len(y) - int(pd.Timedelta("1D") / pd.Timedelta(scenario.freq))
    train, new = y.iloc[:split], y.iloc[split:]
    horizon = max(1, int(pd.Timedelta("60min") / pd.Timedelta(scenario.freq)))
    progress(SECTION, f"{scenario.label}: statsmodels Holt-Winters baseline")
    hw_fit, hw_forecast = baseline(train, horizon=horizon, runs=1 if quick else 3)
    rows = []
    for name in FORECASTERS:
        progress(SECTION, f"{scenario.label}: {name}")
        rows.append(measure(name, train, new, horizon=horizon, quick=quick))
    table = latency_table(rows, hw_fit=hw_fit, hw_forecast=hw_forecast)
    points = len(train)
    intro = (
        f"**{scenario.label}** ({points:,} points of history; horizon 60 min = {horizon} steps; "
        f"3 quantiles; forecast_origins over {len(new):,} origins)"
    )
    return intro + "\n\n" + table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, one run, print only")
    args = parser.parse_args(argv)
    scenarios = QUICK if args.quick else FULL
    with one_thread():  # the baseline runs under the same thread limit as the models
        parts = [run_scenario(s, quick=args.quick) for s in scenarios]
    body = "\n\n".join(
        [
            "## Forecast latency (`benchmarks/forecast_latency.py`)",
            f"Command: `{command_line()}`  \nMachine: {machine_summary()}. "
            "Everything, the baseline included, runs with native BLAS/OpenMP threads limited "
            "to one (`models.threads`): unlimited, the baseline's 1-minute fit took 63 s instead "
            "of a few on this shared machine.",
            *parts,
            "Fit times include each model's quantile calibration (a second fit on all but the "
            "held-out tail); p99 over 3-5 fits is effectively the maximum. `update+predict` "
            "conditions on 30 minutes of newer observations without refitting.",
        ]
    )
    print(body)
    if not args.quick:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
