"""How many targets can one controller forecast per second with the cheap update?

1,000 targets, each with its own fitted model (a copy of one fit, as loaded from the model
store: the cost of a forecast does not depend on the values learnt) and its own 30 minutes of
newer observations. One pass forecasts every target once through
`TargetForecaster.forecast_recent`, the controller's own path (the context as an array, no
pandas objects; gaps and events take `forecast`'s path), 60 minutes ahead
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
from collections.abc import Callable
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
from forescale.models.base import BaseForecaster, Forecast
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
    series_per_second: float
    """The same forecasts through `TargetForecaster.forecast` (a Series context: the path
    before issue 14 item 1), in the same run."""


Target = tuple[TargetForecaster, pd.Series, np.ndarray, int]


def _passes(
    targets: list[Target], passes: int, forecast: Callable[[Target], object]
) -> tuple[list[float], list[float]]:
    """Seconds per pass over every target, and per forecast; the first pass (warm-up) dropped."""
    per_call: list[float] = []
    seconds: list[float] = []
    for _ in range(passes + 1):
        began = time.perf_counter()
        calls = []
        for target in targets:
            start = time.perf_counter()
            forecast(target)
            calls.append(time.perf_counter() - start)
        seconds.append(time.perf_counter() - began)
        per_call.extend(calls)
    return seconds[1:], per_call[len(targets) :]


def _by_series(target: Target) -> object:
    return target[0].forecast(target[1], quantiles=QUANTILES)


def _by_array(target: Target) -> object:
    return target[0].forecast_recent(target[2], start_ns=target[3], quantiles=QUANTILES)


def _check_same(targets: list[Target]) -> None:
    """Both paths give the same forecast, bit for bit (else the figures would mean nothing)."""
    for target in targets[:20]:
        a, b = _by_series(target), _by_array(target)
        assert isinstance(a, Forecast) and isinstance(b, Forecast), (a, b)
        if a.mean.tobytes() != b.mean.tobytes() or any(
            a.quantiles[q].tobytes() != b.quantiles[q].tobytes() for q in a.quantiles
        ):
            raise RuntimeError(f"{a.model}: the array path forecast differs from the Series path")


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
        context = new * (1 + (i % 17) / 10)  # each its own context
        values = context.to_numpy(dtype=float)
        targets.append((forecaster, context, values, int(context.index[0].as_unit("ns").value)))
    _check_same(targets)
    series_passes, _ = _passes(targets, setup.passes, _by_series)
    passes, per_call = _passes(targets, setup.passes, _by_array)
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
        series_per_second=setup.targets / statistics.median(series_passes),
    )


def report(rows: list[Row], setup: Setup, points: int) -> str:
    table = [
        [
            f"`{r.model}`",
            f"{r.per_second:,.0f}",
            f"{r.series_per_second:,.0f}",
            f"{r.per_second / r.series_per_second:.1f}x",
            f"{1e3 * r.forecast_p50:.3f}",
            f"{1e3 * r.forecast_p99:.3f}",
            f"{r.refit_per_second:,.1f}",
            f"{r.per_second / r.refit_per_second:,.0f}x",
            f"{setup.targets / r.per_second:.2f}",
        ]
        for r in rows
    ]
    header = ["model", "forecasts/s (cheap update)",
              "forecasts/s (Series context, before)", "array / Series", "p50 ms", "p99 ms",
              "forecasts/s (refit each time, baseline)", "ratio",
              f"s per pass over {setup.targets:,} targets"]  # fmt: skip
    return "\n\n".join([
        "## Forecast throughput (`benchmarks/forecast_throughput.py`)",
        f"Command: `{command_line()}`  \nMachine: {machine_summary()}. "
        "One thread (native BLAS/OpenMP limited to one, `models.threads`).",
        f"{setup.targets:,} targets, each with its own copy of a model fitted on {points:,} "
        f"points ({setup.days} d at {setup.freq}) and 30 minutes of newer observations; a "
        "60-minute forecast with the 10 % and 90 % quantiles through "
        "`TargetForecaster.forecast_recent` (the controller's path: the context as an array "
        "from the history's buffer, no pandas objects). Median of "
        f"{setup.passes} passes after a warm-up pass; p50/p99 over every forecast of those "
        "passes. 'Series context, before': the same forecasts through "
        "`TargetForecaster.forecast` with the context as a Series (the controller's path before "
        "issue 14 item 1), in the same run; both paths were checked to give the same "
        "forecasts bit for bit. Baseline: refit then predict, median over "
        f"{setup.refit_sample} targets in the same run.",
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
