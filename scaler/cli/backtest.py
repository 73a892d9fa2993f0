"""``forescale backtest``: how would each model have forecast this trace?

    forescale backtest [TRACE.csv | example:nasa] [--horizon 60m] [--step 5m]
                       [--models auto,seasonal_naive] [--test 7d] [--origins N]
                       [--refit-every 1d] [--json]
    forescale backtest --prometheus URL --query 'PROMQL' [--range 14d] [--step 1m] [...]

Without TRACE it runs on the bundled NASA trace; with ``--prometheus`` on the last ``--range`` of
one PromQL series at ``--step`` (default 1m), read like the controller's warm start. The series
is resampled to ``--step`` by mean (gaps stay gaps), every model is backtested with the same
rolling origins over the last ``--test`` (see `models.evaluation`), and the result is a table,
or with ``--json`` one JSON object per line per model with exactly the keys ``model, mase,
smape, coverage_90, under_forecast_p90, fit_ms, predict_ms`` (smape in percent, coverage and
under-forecast as fractions; a metric that cannot be computed is null). Progress goes to stderr.

The table's columns: ``MASE`` (error against the seasonal naive forecast: below 1 beats it),
``sMAPE``, ``cover90`` (share of actual loads inside the forecast's 5-95 % band; a calibrated
band covers 0.90), ``under p90`` (how far the mean forecast fell *below* the load, as a share of
the load, in 9 cases of 10: the under-forecast a floor sized on the mean would have to absorb).

The series comes from `load_series` (a CSV trace, the bundled example, or Prometheus).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from forescale.models.errors import ForecastError
from forescale.scaler.cli.args import duration, positive_int
from forescale.scaler.units import format_duration

if TYPE_CHECKING:  # pandas, scikit-learn and statsmodels load only when backtesting
    import pandas as pd

    from forescale.models.evaluation import BacktestResult

__all__ = ["JSON_KEYS", "load_series", "register", "run"]

JSON_KEYS = ("model", "mase", "smape", "coverage_90", "under_forecast_p90", "fit_ms", "predict_ms")
DEFAULT_MODELS = "auto,ridge,fft,level,seasonal_naive"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help="score forecasting models on a timestamp,value trace (rolling origins)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "trace",
        nargs="?",
        help="timestamp,value CSV (.csv or .csv.gz), or example:nasa (the default)",
    )
    parser.add_argument("--prometheus", metavar="URL", help="read the series from Prometheus")
    parser.add_argument("--query", help="with --prometheus: PromQL returning one series")
    durations = (
        ("--range", "14d", "with --prometheus: how far back to read (default 14d)"),
        ("--horizon", "60m", "forecast horizon (default 60m)"),
        ("--step", None, "resample to this step by mean, e.g. 5m (default: as is)"),
        ("--test", "7d", "test window at the end (default 7d)"),
        ("--refit-every", "1d", "refit interval (default 1d)"),
    )
    for flag, default, text in durations:
        parser.add_argument(flag, type=duration, default=default and duration(default), help=text)
    parser.add_argument(
        "--models",
        default=DEFAULT_MODELS,
        help=f"comma-separated registry names, or 'all' (default {DEFAULT_MODELS})",
    )
    parser.add_argument(
        "--origins", type=positive_int, help="number of forecast origins (default: every step)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per model per line")
    parser.set_defaults(handler=run)


def load_series(args: argparse.Namespace) -> tuple[pd.Series, str]:
    """The series to backtest and a description of where it came from."""
    prometheus, query = getattr(args, "prometheus", None), getattr(args, "query", None)
    if prometheus is not None or query is not None:
        return _from_prometheus(args, url=prometheus, query=query)
    from forescale.scaler.cli.traces import load_trace_arg

    if args.trace is None or args.trace == "example:nasa":
        return load_trace_arg("example:nasa"), "bundled NASA KSC trace (21 days, per minute)"
    return load_trace_arg(args.trace), str(args.trace)


def _from_prometheus(
    args: argparse.Namespace, *, url: str | None, query: str | None
) -> tuple[pd.Series, str]:
    from forescale.scaler.metrics.history import series_from_prometheus

    if url is None or query is None:
        raise ValueError("give both --prometheus URL and --query PROMQL (or a TRACE file)")
    if args.trace is not None:
        raise ValueError("give either a TRACE file or --prometheus, not both")
    if args.step is None:
        args.step = timedelta(minutes=1)
    now = datetime.now(UTC)  # the CLI is the process edge: here the clock may be read
    y = series_from_prometheus(url, query, range_=args.range, step=args.step, now=now)
    where = f"last {format_duration(args.range)} at {format_duration(args.step)}"
    return y, f"{query} from {url} ({where})"


@dataclass(frozen=True, slots=True)
class _Plan:
    step: pd.Timedelta
    horizon: int
    test: int
    origins: int | None
    refit_every: int


def _plan(args: argparse.Namespace, y: pd.Series) -> _Plan:
    """Turn the duration flags into step counts for this series, refusing impossible ones."""
    import pandas as pd

    from forescale.models.validation import infer_step

    step = infer_step(cast(pd.DatetimeIndex, y.index))
    horizon = _steps(args.horizon, step, flag="--horizon")
    test = min(_steps(args.test, step, flag="--test"), len(y) - 1)
    if test <= horizon:
        raise ValueError(
            f"the test window ({test} steps) must be longer than the horizon ({horizon} steps): "
            "use a longer trace, a shorter --horizon or a coarser --step"
        )
    spacing = max(1.0, (test - horizon) / (args.origins or test - horizon))
    refit = _steps(args.refit_every, step, flag="--refit-every")
    return _Plan(step, horizon, test, args.origins, max(1, round(refit / spacing)))


def run(args: argparse.Namespace) -> int:
    from forescale.models.evaluation import backtest
    from forescale.models.registry import FORECASTERS, make_forecaster
    from forescale.scaler.cli.progress import Progress

    names = [name.strip() for name in args.models.split(",") if name.strip()]
    if names == ["all"]:
        names = list(FORECASTERS)
    models = [make_forecaster(name) for name in names]  # unknown names fail before any work
    y, source = load_series(args)
    y = _resample(y, args.step)
    plan = _plan(args, y)
    err = sys.stderr
    print(
        f"{source}: {len(y)} points at {format_duration(plan.step)}, horizon "
        f"{format_duration(plan.horizon * plan.step)} ({plan.horizon} steps), test window "
        f"{format_duration(plan.test * plan.step)}, "
        f"{plan.origins or plan.test - plan.horizon} origins at most",
        file=err,
    )
    failed, results = 0, []
    for i, (name, model) in enumerate(zip(names, models, strict=True), start=1):
        bar = Progress(f"[{i}/{len(names)}] {name}", unit="refits", stream=err)
        try:
            result = backtest(
                model,
                y,
                horizon=plan.horizon,
                test_size=plan.test,
                n_origins=plan.origins,
                refit_every=plan.refit_every,
                progress=bar,
            )
        except ForecastError as exc:
            bar.done("failed")
            print(f"forescale backtest: {name}: {exc}", file=err)
            failed += 1
            continue
        bar.done(f"MASE {result.metrics.mase:.3f}")
        results.append(result)
        if args.json:
            sys.stdout.write(json.dumps(_json_row(name, result)) + "\n")
            sys.stdout.flush()
    if results and not args.json:
        sys.stdout.write(format_table(names=[r.model for r in results], results=results) + "\n")
        sys.stdout.write(LEGEND + "\n")
    return 1 if failed else 0


LEGEND = (
    "MASE: error / the seasonal naive's (below 1 beats it); cover90: share of loads inside the "
    "5-95 % band (aim 0.90);\nunder p90: in 9 cases of 10 the mean forecast was at most this "
    "far below the load (share of the load)"
)


def format_table(*, names: list[str], results: list[BacktestResult]) -> str:
    header = (
        f"{'model':<16}{'MASE':>7}{'sMAPE':>8}{'cover90':>9}{'under p90':>11}"
        f"{'fit ms':>9}{'predict ms':>12}  answered by"
    )
    lines = [header, "-" * len(header)]
    for name, result in zip(names, results, strict=True):
        m = result.metrics
        lines.append(
            f"{name:<16}{m.mase:>7.3f}{m.smape:>7.1f}%{m.coverage_90:>9.2f}"
            f"{100 * m.under_forecast_p90:>10.1f}%{m.fit_ms:>9.0f}{m.predict_ms:>12.3f}  "
            f"{','.join(result.answered_by)}"
        )
    return "\n".join(lines)


def _json_row(name: str, result: BacktestResult) -> dict[str, Any]:
    m = result.metrics
    row: dict[str, Any] = {"model": name}
    for key in JSON_KEYS[1:]:
        value = float(getattr(m, key))
        row[key] = round(value, 6) if math.isfinite(value) else None
    return row


def _resample(y: pd.Series, step: timedelta | None) -> pd.Series:
    import numpy as np
    import pandas as pd

    if step is None:
        diffs = np.diff(cast(pd.DatetimeIndex, y.index).as_unit("ns").asi8)
        if diffs.size and (diffs != diffs[0]).any():
            raise ValueError(
                "the trace's timestamps are not on one regular step; pass --step, e.g. --step 5m"
            )
        return y
    return y.resample(pd.Timedelta(step), origin="epoch").mean()


def _steps(length: timedelta, step: pd.Timedelta, flag: str) -> int:
    ratio = length / step.to_pytimedelta()
    if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
        raise ValueError(
            f"{flag} {format_duration(length)} must be a whole number of steps of "
            f"{format_duration(step.to_pytimedelta())}; change it or pass --step"
        )
    return int(round(ratio))
