"""``forescale train``: one training pass over the targets, into the model store.

    forescale train [--config settings.yaml] [--targets targets.yaml | --trace NAME=CSV ...]
                    [--models auto,ridge,...] [--force] [--json] [--store DIR|s3://...]
                    [--test 2d] [--origins 200] [--shadow 6h] [--horizon 30m] [--step 5m]
                    [--executor local|dask://HOST:8786]

Targets: ``--targets`` (PredictiveAutoscaler YAML; history from ``prometheus.url``), or
``--trace NAME=CSV`` for offline work (repeatable; ``--horizon``/``--step`` apply to traces),
else the settings' targets (the cluster's PredictiveAutoscalers, or ``controller.targets_file``).
For each, the candidate models are backtested on the held-back tail of its history, the best is
refitted and saved with its card to the model store (``--store``, else ``store.models_url``),
and promoted unless it did worse than the promoted model on the same backtest (``--force``
promotes anyway). One line per target, or with ``--json`` one JSON object per target; progress
goes to stderr. Exit status 1 when any target failed (the others are still trained).

``--executor dask://HOST:8786`` (or ``executor.dask`` in the settings) runs the per-target work on
that Dask cluster, in chunks of targets whose histories are read in batched queries; the workers
write the model store (they need ``forescale[dask]``, and reach Prometheus and the store with
their own credentials). A task that fails is retried, then its targets one by one; a target that
still fails is reported failed. ``--executor local`` (the default) trains in this process.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from forescale.models.errors import ForecastError
from forescale.scaler.cli.args import duration, positive_int
from forescale.scaler.errors import ConfigError, ScalerError

if TYPE_CHECKING:  # training loads scikit-learn and statsmodels: only when training
    from forescale.scaler.config.settings import ForescaleSettings
    from forescale.scaler.domain import TargetSpec
    from forescale.scaler.modelstore.base import ModelStore
    from forescale.scaler.training import TrainOptions, TrainReport, TrainTarget
    from forescale.scaler.training.fleet import Item

__all__ = ["format_report", "register", "run"]

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train",
        help="backtest, select, refit and promote each target's model (one pass)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", help="settings YAML file (also FORESCALE_CONFIG)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--targets", help="YAML file of PredictiveAutoscaler objects")
    where.add_argument(
        "--trace",
        action="append",
        metavar="NAME=CSV",
        help="train target NAME on a timestamp,value CSV (repeatable)",
    )
    p.add_argument(
        "--models",
        help="comma-separated candidate models (default: auto,ridge,fft,level,seasonal_naive "
        "and each target's own model)",
    )
    p.add_argument("--force", action="store_true", help="promote even when worse than promoted")
    p.add_argument("--json", action="store_true", help="one JSON object per target")
    p.add_argument("--store", help="model store: a directory or s3://bucket/prefix")
    p.add_argument(
        "--test",
        type=duration,
        default=timedelta(days=2),
        help="held-back tail to score on (default 2d, at most a quarter of the history)",
    )
    p.add_argument(
        "--origins", type=positive_int, default=200, help="origins in the tail (default 200)"
    )
    p.add_argument(
        "--shadow",
        type=duration,
        help="also replay this last stretch live beside the promoted model, e.g. 6h",
    )
    p.add_argument(
        "--horizon",
        type=duration,
        default=timedelta(minutes=30),
        help="traces: steps ahead to compare models at (default 30m)",
    )
    p.add_argument("--step", type=duration, help="traces: resample to this step by mean")
    p.add_argument(
        "--executor",
        metavar="local|dask://HOST:PORT",
        help="where to train: in process (local, the default) or on a Dask cluster",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forescale.models.registry import make_forecaster
    from forescale.scaler.cli.logs import configure_logging
    from forescale.scaler.cli.train_fleet import dask_settings, train_on_cluster
    from forescale.scaler.clock import SystemClock
    from forescale.scaler.config.environment import unknown_variables
    from forescale.scaler.config.settings import load_settings
    from forescale.scaler.training import DEFAULT_CANDIDATES, TrainOptions
    from forescale.scaler.wiring import build_model_store

    settings = load_settings(args.config)
    configure_logging("DEBUG" if args.debug else settings.log_level, fmt=settings.log_format)
    for problem in unknown_variables():
        log.warning("%s", problem)
    candidates = _names(args.models) if args.models else None
    for name in candidates or DEFAULT_CANDIDATES:
        make_forecaster(name)  # unknown names fail before any work
    url = args.store or settings.store.models_url
    dask = dask_settings(args, settings)
    store = (
        None
        if dask is not None
        else build_model_store(url, aws=settings.aws, keep=settings.store.models_keep)
    )
    if not url or (dask is None and store is None):
        raise ConfigError(
            "no model store: pass --store DIR|s3://bucket/prefix or set store.models_url "
            "(FORESCALE_STORE__MODELS_URL)"
        )
    options = TrainOptions(
        candidates=candidates, test=args.test, origins=args.origins, force=args.force,
        shadow=args.shadow,
    )  # fmt: skip
    if dask is not None:
        items, failed = _items(args, settings)
        reports = failed + train_on_cluster(
            items, dask=dask, settings=settings, store_url=url, options=options,
            now=SystemClock().now(),
        )  # fmt: skip
    else:
        assert store is not None
        reports = _train_here(args, settings, store=store, options=options)
    for report in reports:
        line = json.dumps(report.to_json()) if args.json else format_report(report)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    bad = sum(not r.ok for r in reports)
    promoted = sum(r.promoted for r in reports)
    sys.stderr.write(
        f"forescale train: {len(reports)} target(s): {len(reports) - bad} trained "
        f"({promoted} promoted), {bad} failed\n"
    )
    return 1 if bad or not reports else 0


def _train_here(
    args: argparse.Namespace, settings: ForescaleSettings, *, store: ModelStore,
    options: TrainOptions,
) -> list[TrainReport]:  # fmt: skip
    """The in-process pass (``--executor local``), as it always was."""
    from forescale.scaler.cli.progress import Progress
    from forescale.scaler.clock import SystemClock
    from forescale.scaler.training import train_all

    targets, failed, closers = _targets(args, settings)
    try:
        return failed + train_all(
            targets,
            store=store,
            options=options,
            now=SystemClock().now(),
            progress=lambda label: Progress(label, unit="refits"),
        )
    finally:
        for close in closers:
            close()


def format_report(report: TrainReport) -> str:
    """One line: what was selected and why it was (not) promoted, or why the target failed."""
    if not report.ok:
        return f"{report.target}: FAILED: {report.error}"
    return (
        f"{report.target}: {report.selected} saved as {report.version}; {report.reason} "
        f"[{report.seconds:.1f}s]"
    )


def _targets(
    args: argparse.Namespace, settings: ForescaleSettings
) -> tuple[list[TrainTarget], list[TrainReport], list[Callable[[], None]]]:
    """(targets to train, reports for targets that failed before training, closers)."""
    from forescale.scaler.clock import SystemClock
    from forescale.scaler.training import TrainReport, from_spec

    if args.trace:
        traces, failed = _traces(args)
        return traces, failed, []
    specs, invalid = _specs(args, settings)
    from forescale.scaler.wiring import metrics_source

    source = metrics_source(settings)
    now = SystemClock().now()
    failed = [TrainReport(target=name, seconds=0.0, error=msg) for name, msg in invalid]
    close = getattr(source, "close", None)
    return [from_spec(s, source=source, now=now) for s in specs], failed, [close] if close else []


def _items(
    args: argparse.Namespace, settings: ForescaleSettings
) -> tuple[list[Item], list[TrainReport]]:
    """A cluster's work: the traces, read here and shipped whole, or the specs, whose history
    the workers read; and reports for the targets that failed before training."""
    from forescale.scaler.training import TrainReport

    if args.trace:
        traces, failed = _traces(args)
        return list(traces), failed
    specs, invalid = _specs(args, settings)
    failed = [TrainReport(target=name, seconds=0.0, error=msg) for name, msg in invalid]
    return list(specs), failed


def _traces(args: argparse.Namespace) -> tuple[list[TrainTarget], list[TrainReport]]:
    from forescale.scaler.training import TrainReport, from_trace

    targets: list[TrainTarget] = []
    failed: list[TrainReport] = []
    for item in args.trace:
        name, path = _trace_arg(item)
        try:
            targets.append(from_trace(name, path, horizon=args.horizon, step=args.step))
        except (ForecastError, ScalerError, ValueError, OSError) as exc:
            failed.append(TrainReport(target=name, seconds=0.0, error=str(exc)))
    return targets, failed


def _specs(
    args: argparse.Namespace, settings: ForescaleSettings
) -> tuple[list[TargetSpec], list[tuple[str, str]]]:
    from forescale.scaler.clock import SystemClock
    from forescale.scaler.config.targets import load_targets_file
    from forescale.scaler.wiring import target_provider

    if args.targets:
        return [d.to_domain() for d in load_targets_file(args.targets)], []

    update = target_provider(settings, clock=SystemClock()).poll()
    invalid = [(str(i.name), i.message) for i in update.invalid]
    return list(update.targets), invalid


def _trace_arg(item: str) -> tuple[str, str]:
    name, sep, path = item.partition("=")
    if not sep or not name or not path:
        raise ValueError(f"--trace {item!r}: use NAME=PATH, e.g. --trace web=traces/web.csv")
    return name, path


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise ValueError("--models needs at least one model name, e.g. --models auto,ridge")
    return names
