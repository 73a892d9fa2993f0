"""How many targets can one controller forecast per second with the cheap update?

1,000 targets, each with its own fitted model (a copy of one fit, as loaded from the model
store: the cost of a forecast does not depend on the values learnt) and its own 30 minutes of
newer observations. One pass forecasts every target once through `TargetForecaster.forecast`,
the controller's own path (gap fill, event calendar, ``predict(context=...)``), 60 minutes ahead
with the quantiles the controller asks for. Reported per model: forecasts per second (median
pass) and the p50/p99 of one forecast, against the baseline a controller without the cheap
update would pay: refit then predict, timed on a sample of targets in the same run.

    .venv/bin/python -m benchmarks.forecast_throughput           # full run, writes RESULTS.md
    .venv/bin/python -m benchmarks.forecast_throughput --quick   # smoke test, prints only
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from benchmarks._common import (
    command_line,
    machine_summary,
    markdown_table,
    progress,
    write_section,
)
from forescale.models.base import BaseForecaster
from forescale.models.datasets import synthetic_traffic
from forescale.models.registry import make_forecaster
from forescale.models.threads import one_thread
from forescale.scaler.forecasting.engine import TargetForecaster

SECTION = "forecast_throughput"
MODELS = ("auto", "ridge", "fft", "level", "seasonal_naive")
QUANTILES = (0.1, 0.9)


@dataclass(frozen=True, slots=True)
class Setup:
    targets: int
    days: int
    freq: str
    passes: int
    refit_sample: int
    models: tuple[str, ...]


FULL = Setup(targets=1000, days=14, freq="1min", passes=5, refit_sample=10, models=MODELS)
QUICK = Setup(targets=50, days=4, freq="5min", passes=2, refit_sample=2, models=("ridge", "level"))


@dataclass(frozen=True, slots=True)
class Row:
    model: str
    per_second: float
    forecast_p50: float
    forecast_p99: float
    refit_per_second: float


def measure(name: str, setup: Setup, y: pd.Series, split: int) -> Row:
    """Forecast every target once per pass; refit+predict a sample as the baseline."""
    step = pd.Timedelta(setup.freq).to_pytimedelta()
    horizon = int(timedelta(hours=1) / step)
    context_steps = max(1, int(timedelta(minutes=30) / step))
    train, new = y.iloc[:split], y.iloc[split : split + context_steps]
    blob = pickle.dumps(make_forecaster(name).fit(train))
    targets = []
    for i in range(setup.targets):
        forecaster = TargetForecaster(name, step=step, horizon=horizon)
        model: BaseForecaster = pickle.loads(blob)  # noqa: S301 - our own bytes
        forecaster.adopt(model, fitted_at=train.index[-1].to_pydatetime())
        targets.append((forecaster, new * (1 + (i % 17) / 10)))  # each its own context
    per_call: list[float] = []
    passes: list[float] = []
    for _ in range(setup.passes + 1):  # the first pass warms caches and is not counted
        began = time.perf_counter()
        calls = []
        for forecaster, context in targets:
            start = time.perf_counter()
            forecaster.forecast(context, quantiles=QUANTILES)
            calls.append(time.perf_counter() - start)
        passes.append(time.perf_counter() - began)
        per_call.extend(calls)
    passes, per_call = passes[1:], per_call[setup.targets :]
    refit = []
    for i in range(setup.refit_sample):
        start = time.perf_counter()
        fresh = make_forecaster(name).fit(pd.concat([train.iloc[context_steps:], new]) * (1 + i))
        fresh.predict(horizon, quantiles=QUANTILES)
        refit.append(time.perf_counter() - start)
    return Row(
        model=name,
        per_second=setup.targets / statistics.median(passes),
        forecast_p50=float(np.percentile(per_call, 50)),
        forecast_p99=float(np.percentile(per_call, 99)),
        refit_per_second=1 / statistics.median(refit),
    )


def report(rows: list[Row], setup: Setup, points: int) -> str:
    table = [
        [
            f"`{r.model}`",
            f"{r.per_second:,.0f}",
            f"{1e3 * r.forecast_p50:.3f}",
            f"{1e3 * r.forecast_p99:.3f}",
            f"{r.refit_per_second:,.1f}",
            f"{r.per_second / r.refit_per_second:,.0f}x",
            f"{setup.targets / r.per_second:.2f}",
        ]
        for r in rows
    ]
    header = ["model", "forecasts/s (cheap update)", "p50 ms", "p99 ms",
              "forecasts/s (refit each time, baseline)", "ratio",
              f"s per pass over {setup.targets:,} targets"]  # fmt: skip
    return "\n\n".join([
        "## Forecast throughput (`benchmarks/forecast_throughput.py`)",
        f"Command: `{command_line()}`  \nMachine: {machine_summary()}. "
        "One thread (native BLAS/OpenMP limited to one, `models.threads`).",
        f"{setup.targets:,} targets, each with its own copy of a model fitted on {points:,} "
        f"points ({setup.days} d at {setup.freq}) and 30 minutes of newer observations; a "
        "60-minute forecast with the 10 % and 90 % quantiles through "
        f"`TargetForecaster.forecast` (the controller's path). Median of {setup.passes} passes "
        f"after a warm-up pass; p50/p99 over every forecast of those passes. Baseline: refit "
        f"then predict, median over {setup.refit_sample} targets in the same run.",
        markdown_table(header, table),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 targets, 2 models, no write")
    args = parser.parse_args(argv)
    setup = QUICK if args.quick else FULL
    y = synthetic_traffic(days=setup.days + 1, freq=setup.freq, seed=2)
    split = len(y) - int(pd.Timedelta("1D") / pd.Timedelta(setup.freq))
    rows = []
    with one_thread():
        for name in setup.models:
            progress(SECTION, f"{name}: {setup.targets} targets x {setup.passes} passes")
            rows.append(measure(name, setup, y, split))
    text = report(rows, setup, split)
    print(text)
    if not args.quick:
        write_section(SECTION, text)
        progress(SECTION, "wrote its section of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
