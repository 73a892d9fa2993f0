"""The composition root: the only place that turns settings into real clients and a controller.

Everything else receives its collaborators as arguments, so tests, notebooks and the demo build
the same `Controller` from in-memory twins instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from forescale.scaler.actuators.base import Actuator
from forescale.scaler.clock import Clock, SystemClock
from forescale.scaler.config.settings import AwsGroup, ForescaleSettings
from forescale.scaler.controller.loop import Controller, ControlSettings
from forescale.scaler.controller.reporting import Reporter
from forescale.scaler.controller.runtime import RuntimeSettings
from forescale.scaler.controller.targets import FileTargets, TargetProvider
from forescale.scaler.controller.view import RecordStore
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.errors import ConfigError
from forescale.scaler.forecasting.engine import RefitPolicy
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.modelstore.base import DEFAULT_KEEP, ModelStore
from forescale.scaler.planning.fallback import FallbackSettings
from forescale.scaler.redact import register_secret
from forescale.scaler.store import Retention, open_store
from forescale.scaler.telemetry import Telemetry

__all__ = [
    "Assembly",
    "build",
    "build_model_store",
    "control_settings",
    "metrics_source",
    "target_provider",
]

log = logging.getLogger(__name__)


@dataclass
class Assembly:
    """A wired controller and what the API needs to show it."""

    controller: Controller
    view: LiveView
    store: RecordStore
    telemetry: Telemetry
    registry: CollectorRegistry
    leader: Any | None = None
    """A `LeaderElector` when leader election is enabled (run it in its own thread)."""
    closers: list[Any] = field(default_factory=list)


def control_settings(settings: ForescaleSettings) -> ControlSettings:
    c = settings.controller
    return ControlSettings(
        interval_seconds=c.interval_seconds, dry_run=c.dry_run,
        restore_on_shutdown=c.restore_on_shutdown, max_refits_per_cycle=c.max_refits_per_cycle,
        runtime=RuntimeSettings(
            fallback=FallbackSettings(failure_threshold=c.failure_threshold,
                                      recovery_threshold=c.recovery_threshold),
            refit=RefitPolicy(refit_every=timedelta(seconds=c.refit_every_seconds)),
        ),
    )  # fmt: skip


def build(settings: ForescaleSettings, *, clock: Clock | None = None) -> Assembly:
    """Everything `forescale run` needs, from settings (real Prometheus, Kubernetes, AWS)."""
    clock = clock or SystemClock()
    registry = CollectorRegistry()
    telemetry = Telemetry(registry)
    store = open_store(settings.store)
    kube = _kube(settings, clock) if settings.kubernetes.enabled else None
    targets: TargetProvider
    if kube is not None:
        targets = kube["targets"]
    elif settings.controller.targets_file is not None:
        targets = FileTargets(settings.controller.targets_file)
    else:
        raise ConfigError(
            "no targets: enable kubernetes (PredictiveAutoscaler objects) or set "
            "controller.targets_file to a YAML file of them"
        )
    actuators: dict[str, Actuator] = {"asg": _asg(settings)}
    if kube is not None:
        actuators["hpa"] = kube["hpa"]
    leader = kube.get("leader") if kube is not None else None
    is_leader = (lambda: leader.is_leader) if leader is not None else (lambda: True)
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
        targets=targets,
        source=_prometheus(settings),
        actuators=actuators,
        clock=clock,
        settings=control_settings(settings),
        reporter=reporter,
        is_leader=is_leader,
        models=models,
    )
    view = LiveView(controller, models=models)
    return Assembly(
        controller=controller,
        view=view,
        store=store,
        telemetry=telemetry,
        registry=registry,
        leader=leader,
    )


def build_model_store(
    url: str | None, *, aws: AwsGroup | None = None, keep: int | None = DEFAULT_KEEP
) -> ModelStore | None:
    """The model store at ``url`` (a directory or s3://bucket/prefix); None when unset.

    ``aws``: the settings' AWS group, so an S3 store honours ``aws.endpoint_url`` and retries.
    ``keep``: versions kept per target (`store.models_keep`)."""
    if not url:
        return None
    if url.startswith("s3://"):
        from forescale.scaler.aws import AwsClients, AwsSettings
        from forescale.scaler.modelstore.s3 import S3ModelStore

        if aws is None:
            return S3ModelStore(url, keep=keep)
        clients = AwsClients(
            AwsSettings(
                endpoint_url=aws.endpoint_url,
                retry_mode=aws.retry_mode,
                max_attempts=aws.max_attempts,
            )
        )
        return S3ModelStore(url, clients=clients, keep=keep)
    from forescale.scaler.modelstore.directory import DirectoryModelStore

    return DirectoryModelStore(Path(url.removeprefix("file://")), keep=keep)


def _prometheus(settings: ForescaleSettings) -> MetricsSource:
    p = settings.prometheus
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


def _asg(settings: ForescaleSettings) -> Actuator:
    from forescale.scaler.aws import AsgActuator, AwsClients, AwsSettings

    a = settings.aws
    clients = AwsClients(
        AwsSettings(
            endpoint_url=a.endpoint_url, retry_mode=a.retry_mode, max_attempts=a.max_attempts
        )
    )
    return AsgActuator(clients, control=a.asg_control)


def _kube(settings: ForescaleSettings, clock: Clock) -> dict[str, Any]:
    from forescale.scaler.kube import (
        EventRecorder,
        HpaActuator,
        KubeApi,
        KubeTargetSource,
        LeaderElector,
        LeaseConfig,
        build_api_client,
    )

    k, le = settings.kubernetes, settings.leader_election
    api = KubeApi(
        build_api_client(host=k.host, kubeconfig=str(k.kubeconfig) if k.kubeconfig else None),
        timeout=k.timeout_seconds,
    )
    events = EventRecorder(api, clock=clock, instance=le.identity)
    out: dict[str, Any] = {
        "hpa": HpaActuator(api, clock=clock, events=events, namespace=k.namespace),
        "targets": KubeTargetSource(api, clock=clock, namespace=k.namespace, events=events),
    }
    if le.enabled:
        config = LeaseConfig(
            namespace=le.namespace, identity=le.identity, name=le.lease_name,
            lease_duration=timedelta(seconds=le.lease_duration_seconds),
            renew_deadline=timedelta(seconds=le.renew_deadline_seconds),
            retry_period=timedelta(seconds=le.retry_period_seconds),
        )  # fmt: skip
        out["leader"] = LeaderElector(api, config=config, clock=clock)
    return out


def metrics_source(settings: ForescaleSettings) -> MetricsSource:
    """The Prometheus source of ``settings`` (for one-shot jobs such as `forescale train`)."""
    return _prometheus(settings)


def target_provider(settings: ForescaleSettings, *, clock: Clock) -> TargetProvider:
    """Where ``settings`` say the targets are: the cluster's PredictiveAutoscalers, else the
    targets file; `ConfigError` when neither is configured."""
    if settings.kubernetes.enabled:
        provider: TargetProvider = _kube(settings, clock)["targets"]
        return provider
    if settings.controller.targets_file is not None:
        return FileTargets(settings.controller.targets_file)
    raise ConfigError(
        "no targets: enable kubernetes (PredictiveAutoscaler objects) or set "
        "controller.targets_file to a YAML file of them"
    )
