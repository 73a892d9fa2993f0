"""The composition root: the only place that turns settings into real clients and a controller.

Everything else receives its collaborators as arguments, so tests, notebooks and the demo build
the same `Controller` from in-memory twins instead. Each settings group is converted here, once,
into what its client takes (`control_settings`, `aws_settings`, `lease_config`); every check of
the values is in the settings models, so ``check-config`` refuses whatever `build` would.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from forescale.scaler.actuators.base import Actuator
from forescale.scaler.actuators.detached import DetachedActuator
from forescale.scaler.clock import Clock, SystemClock
from forescale.scaler.config.environment import check_runnable
from forescale.scaler.config.settings import (
    AwsGroup,
    ForescaleSettings,
    LeaderElectionSettings,
    PrometheusSettings,
)
from forescale.scaler.controller.loop import Controller, ControlSettings
from forescale.scaler.controller.pauses import StoredPauses
from forescale.scaler.controller.reporting import Reporter
from forescale.scaler.controller.runtime import RuntimeSettings
from forescale.scaler.controller.targets import FileTargets, TargetProvider
from forescale.scaler.controller.view import RecordStore
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.controller.view_shards import ShardedView
from forescale.scaler.errors import ConfigError
from forescale.scaler.forecasting.engine import RefitPolicy
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.modelstore.base import DEFAULT_KEEP, ModelStore
from forescale.scaler.planning.fallback import FallbackSettings
from forescale.scaler.planning.hysteresis import FloorHysteresis
from forescale.scaler.redact import register_secret
from forescale.scaler.store import MemoryRecordStore, Retention, open_store
from forescale.scaler.target_sources import CombinedTargets, ResolvedTargets
from forescale.scaler.telemetry import Telemetry
from forescale.scaler.tuning.config import TuningConfig

if TYPE_CHECKING:
    from forescale.scaler.aws import AsgActuator, AwsSettings
    from forescale.scaler.kube import LeaseConfig

__all__ = [
    "Assembly",
    "aws_settings",
    "build",
    "build_model_store",
    "control_settings",
    "lease_config",
    "metrics_source",
    "prometheus_source",
    "target_provider",
]

log = logging.getLogger(__name__)

KUBERNETES_ENABLED = "kubernetes.enabled (FORESCALE_KUBERNETES__ENABLED=true)"
"""What drives HPAs; named in every message about an HPA Forescale cannot reach."""


@dataclass
class Assembly:
    """A wired controller and what the API needs to show it."""

    controller: Controller
    view: LiveView
    store: RecordStore
    telemetry: Telemetry
    registry: CollectorRegistry
    leader: Any | None = None
    """A `LeaderElector` when leader election is enabled, `ShardLeases` when sharded (run it
    in its own thread)."""
    closers: list[Callable[[], object]] = field(default_factory=list)
    """Closed by `close`, newest first: the record store, the Prometheus session, clients."""

    def close(self) -> None:
        """Release what `build` opened (connections, sessions); each failure is only logged."""
        _close_all(self.closers)


def _close_all(closers: list[Callable[[], object]]) -> None:
    while closers:
        close = closers.pop()
        try:
            close()
        except Exception:  # noqa: BLE001 - shutting down: close the others anyway
            log.warning("could not close %r", close, exc_info=True)


def control_settings(settings: ForescaleSettings) -> ControlSettings:
    c = settings.controller
    return ControlSettings(
        interval_seconds=c.interval_seconds, dry_run=c.dry_run,
        restore_on_shutdown=c.restore_on_shutdown, max_refits_per_cycle=c.max_refits_per_cycle,
        cycle_deadline_seconds=c.cycle_deadline_seconds, io_workers=c.io_workers,
        shutdown_seconds=c.shutdown_seconds,
        runtime=RuntimeSettings(
            fallback=FallbackSettings(failure_threshold=c.failure_threshold,
                                      recovery_threshold=c.recovery_threshold),
            refit=RefitPolicy(refit_every=timedelta(seconds=c.refit_every_seconds)),
            floor_hysteresis=FloorHysteresis(
                lower_band=c.floor_lower_band, raise_band=c.floor_raise_band,
                min_band=c.floor_min_band,
                persistence=timedelta(seconds=c.floor_persistence_seconds),
            ),
            tuning=TuningConfig(shadow_start=c.shadow_start),
        ),
    )  # fmt: skip


def aws_settings(group: AwsGroup) -> AwsSettings:
    from forescale.scaler.aws import AwsSettings

    return AwsSettings(
        endpoint_url=group.endpoint_url, retry_mode=group.retry_mode,
        max_attempts=group.max_attempts,
    )  # fmt: skip


def lease_config(group: LeaderElectionSettings) -> LeaseConfig:
    from forescale.scaler.kube import LeaseConfig

    return LeaseConfig(
        namespace=group.namespace, identity=group.identity, name=group.lease_name,
        lease_duration=timedelta(seconds=group.lease_duration_seconds),
        renew_deadline=timedelta(seconds=group.renew_deadline_seconds),
        retry_period=timedelta(seconds=group.retry_period_seconds),
    )  # fmt: skip


def build(settings: ForescaleSettings, *, clock: Clock | None = None) -> Assembly:
    """Everything `forescale run` needs, from settings (real Prometheus, Kubernetes, AWS)."""
    check_runnable(settings)
    clock = clock or SystemClock()
    registry = CollectorRegistry()
    telemetry = Telemetry(registry)
    closers: list[Callable[[], object]] = []
    with _closed_on_error(closers):
        store = open_store(settings.store)
        closers.extend(_closer(store))
        source = _prometheus(settings)
        closers.extend(_closer(source))
        kube = _kube(settings, clock) if settings.kubernetes.enabled else None
        if kube is not None:
            closers.extend(_closer(kube["api"]))
        asg = _asg(settings)
        leader = kube.get("leader") if kube is not None else None
        is_leader = (lambda: leader.is_leader) if leader is not None else (lambda: True)
        pauses = StoredPauses.factory(store, clock=clock, is_leader=is_leader,
                                      shared=not isinstance(store, MemoryRecordStore))  # fmt: skip
        targets = ResolvedTargets(_targets(settings, kube, pauses=pauses), asg=asg, clock=clock)
        actuators: dict[str, Actuator] = {
            "asg": asg,
            "hpa": kube["hpa"] if kube is not None
            else DetachedActuator(
                targets.spec_of, dry_run=settings.controller.dry_run, enable=KUBERNETES_ENABLED
            ),
        }  # fmt: skip
        retention = Retention.days(store, settings.store.retention_days)
        reporter = Reporter(
            telemetry=telemetry,
            recorder=store,
            status=targets.write_status if kube is not None else None,
            retention=retention.maybe_purge,
        )
        models = build_model_store(
            settings.store.models_url, aws=settings.aws, keep=settings.store.models_keep
        )
        controller = Controller(
            targets=targets, source=source, actuators=actuators, clock=clock,
            settings=control_settings(settings), reporter=reporter, is_leader=is_leader,
            models=models, ownership=kube.get("shards") if kube is not None else None,
        )  # fmt: skip
    shards = kube.get("shards") if kube is not None else None
    view = (
        LiveView(controller, models=models) if shards is None
        else ShardedView(controller, models=models, records=store, holder_of=shards.holder_of,
                         shared=not isinstance(store, MemoryRecordStore))
    )  # fmt: skip
    return Assembly(
        controller=controller,
        view=view,
        store=store,
        telemetry=telemetry,
        registry=registry,
        leader=leader,
        closers=closers,
    )


@contextlib.contextmanager
def _closed_on_error(closers: list[Callable[[], object]]) -> Iterator[None]:
    """What was opened before a later part failed is closed again (no leaked connections)."""
    try:
        yield
    except BaseException:
        _close_all(closers)
        raise


def _closer(resource: object) -> list[Callable[[], object]]:
    close = getattr(resource, "close", None)
    return [close] if callable(close) else []


def build_model_store(
    url: str | None, *, aws: AwsGroup | None = None, keep: int | None = DEFAULT_KEEP
) -> ModelStore | None:
    """The model store at ``url`` (a directory or s3://bucket/prefix); None when unset.

    ``aws``: the settings' AWS group, so an S3 store honours ``aws.endpoint_url`` and retries.
    ``keep``: versions kept per target (`store.models_keep`)."""
    if not url:
        return None
    if url.startswith("s3://"):
        from forescale.scaler.aws import AwsClients
        from forescale.scaler.modelstore.s3 import S3ModelStore

        if aws is None:
            return S3ModelStore(url, keep=keep)
        return S3ModelStore(url, clients=AwsClients(aws_settings(aws)), keep=keep)
    from forescale.scaler.modelstore.directory import DirectoryModelStore

    return DirectoryModelStore(Path(url.removeprefix("file://")), keep=keep)


def _prometheus(settings: ForescaleSettings) -> MetricsSource:
    return prometheus_source(settings.prometheus)


def prometheus_source(p: PrometheusSettings) -> MetricsSource:
    """The Prometheus source of the ``prometheus`` group alone: what a fleet-training worker
    builds for itself (`scaler.training.fleet`), reading the token file where it runs."""
    if not p.url:
        raise ConfigError("prometheus.url is required (FORESCALE_PROMETHEUS__URL)")
    from forescale.scaler.metrics.prometheus import PrometheusSource

    headers = None
    if p.bearer_token_file is not None:
        try:
            token = p.bearer_token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read prometheus.bearer_token_file: {exc.strerror}") from None
        register_secret(token)
        headers = {"Authorization": f"Bearer {token}"}
    return PrometheusSource.from_url(
        p.url, timeout=p.timeout_seconds, retries=p.retries, headers=headers
    )


def _asg(settings: ForescaleSettings) -> AsgActuator:
    from forescale.scaler.aws import AsgActuator, AwsClients

    return AsgActuator(AwsClients(aws_settings(settings.aws)), control=settings.aws.asg_control)


def _targets(
    settings: ForescaleSettings,
    kube: dict[str, Any] | None,
    *,
    pauses: Callable[[TargetProvider], TargetProvider] = lambda file: file,
) -> TargetProvider:
    """The cluster's PredictiveAutoscalers, the targets file's documents (with ``pauses``
    wrapped around: where the API's pauses of file targets are kept), or both."""
    path = settings.controller.targets_file
    if kube is None and path is None:
        raise ConfigError(
            "no targets: set kubernetes.enabled (PredictiveAutoscaler objects) or "
            "controller.targets_file (a YAML file of them)"
        )
    if kube is None:
        return pauses(FileTargets(path))  # type: ignore[arg-type]
    if path is None:
        provider: TargetProvider = kube["targets"]
        return provider
    return CombinedTargets(kube["targets"], pauses(FileTargets(path)))


def _kube(settings: ForescaleSettings, clock: Clock, *, reports: bool = True) -> dict[str, Any]:
    from forescale.scaler.kube import (
        EventRecorder,
        HpaActuator,
        KubeApi,
        KubeTargetSource,
        LeaderElector,
        ShardLeases,
        build_api_client,
    )

    k, le = settings.kubernetes, settings.leader_election
    api_client = build_api_client(
        host=k.host, kubeconfig=str(k.kubeconfig) if k.kubeconfig else None
    )
    api = KubeApi(api_client, timeout=k.timeout_seconds)
    events = EventRecorder(api, clock=clock, instance=le.identity)
    out: dict[str, Any] = {
        "api": api_client,
        "hpa": HpaActuator(api, clock=clock, events=events, namespace=k.namespace),
        "targets": KubeTargetSource(
            api, clock=clock, namespace=k.namespace, events=events, reports=reports
        ),
    }
    if le.enabled and le.shards > 1:
        out["leader"] = out["shards"] = ShardLeases(
            api, config=lease_config(le), shards=le.shards, prefix=le.shard_lease_prefix,
            expected_replicas=le.replicas, clock=clock,
        )  # fmt: skip
    elif le.enabled:
        out["leader"] = LeaderElector(api, config=lease_config(le), clock=clock)
    return out


def metrics_source(settings: ForescaleSettings) -> MetricsSource:
    """The Prometheus source of ``settings`` (for one-shot jobs such as `forescale train`)."""
    return _prometheus(settings)


def target_provider(settings: ForescaleSettings, *, clock: Clock) -> TargetProvider:
    """Where ``settings`` say the targets are: the cluster's PredictiveAutoscalers, the targets
    file, or both; `ConfigError` when neither is configured. Read only (one-shot jobs such as
    ``forescale train``, whose service account may only list PredictiveAutoscalers): invalid
    specs are reported by the controller, not here."""
    kube = _kube(settings, clock, reports=False) if settings.kubernetes.enabled else None
    return _targets(settings, kube)
