"""``forescale train --executor dask://HOST:8786``: the pass on a Dask cluster, from the CLI.

`scaler.cli.train` keeps the in-process pass exactly as it was; this module only turns the
settings into what a worker needs (`FleetJob`: factories of the model store and the Prometheus
source, built on the worker with its own credentials) and feeds the progress bar from the
futures. Neither ``distributed`` nor the executor module is imported until a Dask run is asked
for: without the ``dask`` extra, only this path says which extra to install.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from forescale.scaler.config.executor import DaskSettings, executor_address
from forescale.scaler.config.settings import AwsGroup, ForescaleSettings
from forescale.scaler.errors import ConfigError

if TYPE_CHECKING:
    from forescale.scaler.modelstore.base import ModelStore
    from forescale.scaler.training import TrainOptions, TrainReport
    from forescale.scaler.training.fleet import Item

__all__ = ["dask_settings", "model_store", "train_on_cluster"]


def dask_settings(args: argparse.Namespace, settings: ForescaleSettings) -> DaskSettings | None:
    """The Dask cluster to train on: ``--executor`` when given (``local``: none), else the
    settings' ``executor.dask`` (its chunking and retries apply to ``--executor dask://`` too)."""
    configured = settings.executor.dask
    if args.executor is None:
        return configured
    address = executor_address(args.executor)
    if address is None:
        return None
    if configured is None:
        return DaskSettings(address=address)
    return configured.model_copy(update={"address": address})


def model_store(url: str, aws: AwsGroup, keep: int) -> ModelStore:
    """The model store at ``url``, built where it is called (on a worker: with its credentials)."""
    from forescale.scaler.wiring import build_model_store

    store = build_model_store(url, aws=aws, keep=keep)
    if store is None:
        raise ConfigError("no model store URL")
    return store


def train_on_cluster(
    items: Sequence[Item],
    *,
    dask: DaskSettings,
    settings: ForescaleSettings,
    store_url: str,
    options: TrainOptions,
    now: datetime,
) -> list[TrainReport]:
    """Train ``items`` on the cluster of ``dask``; one report per item, in order."""
    from forescale.scaler.cli.progress import Progress
    from forescale.scaler.domain import TargetSpec
    from forescale.scaler.extras import require
    from forescale.scaler.training.fleet import FleetJob
    from forescale.scaler.wiring import prometheus_source

    require("distributed", extra="dask", feature="training on a Dask cluster")
    from forescale.scaler.training.dask_executor import train_on_dask

    if any(isinstance(item, TargetSpec) for item in items) and not settings.prometheus.url:
        raise ConfigError("prometheus.url is required (FORESCALE_PROMETHEUS__URL)")
    job = FleetJob(
        store=functools.partial(model_store, store_url, settings.aws, settings.store.models_keep),
        source=functools.partial(prometheus_source, settings.prometheus),
        options=options,
        now=now,
    )
    bar = Progress(f"forescale train on {dask.address}", unit="targets")
    reports = train_on_dask(
        dask.address, items, job=job, chunk=dask.chunk_targets, retries=dask.retries,
        progress=bar, connect_timeout=dask.connect_timeout_seconds,
    )  # fmt: skip
    bar.done(f"{sum(r.ok for r in reports)}/{len(reports)} target(s) trained")
    return reports
