"""Process settings: one typed object made of documented groups, loaded at the boundary.

Sources, highest priority first: explicit arguments, environment variables (``FORESCALE_`` prefix,
``__`` between group and field, e.g. ``FORESCALE_CONTROLLER__DRY_RUN=true``), then an optional
YAML file (``--config``, or ``FORESCALE_CONFIG``). Core code receives these groups as arguments
and never reads a global. Durations carry their unit in the name (``interval_seconds``), as in
the Helm values.

Every check of a value, or of values together (lease timings, token lengths, URLs), is a
validator here, so ``forescale check-config`` refuses what ``forescale run`` would refuse, naming
the field. What only running needs (a Prometheus URL, somewhere to read targets from, readable
files, a cluster to reach) and ``FORESCALE_*`` variables that set nothing are checked by
`scaler.config.environment`, which both call.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.exceptions import SettingsError

from forescale.scaler.config.executor import ExecutorSettings
from forescale.scaler.config.targets import yaml_problem
from forescale.scaler.config.urls import check_http_url, check_store_url, parse_s3_url
from forescale.scaler.errors import ConfigError
from forescale.scaler.redact import register_secret

__all__ = [
    "ApiSettings",
    "AwsGroup",
    "ControllerSettings",
    "ForescaleSettings",
    "KubernetesSettings",
    "LeaderElectionSettings",
    "PrometheusSettings",
    "StoreSettings",
    "load_settings",
    "secret_values",
]

MIN_TOKEN_LENGTH = 16
"""API bearer tokens shorter than this are refused (guessable)."""


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class PrometheusSettings(_Group):
    url: str | None = None
    """Base URL of the Prometheus HTTP API, e.g. http://prometheus-operated.monitoring:9090."""
    timeout_seconds: float = Field(default=10.0, gt=0)
    """Per-request timeout; prometheus-api-client has none by default, so one is always set."""
    retries: int = Field(default=2, ge=0, le=10)
    """Retries of a failed request within one cycle (exponential backoff with jitter)."""
    bearer_token_file: Path | None = None
    """File holding a bearer token for Prometheus (e.g. a mounted Secret)."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        example = "http://prometheus-operated.monitoring:9090"
        return None if value is None else check_http_url(value, example=example)


class ControllerSettings(_Group):
    interval_seconds: float = Field(default=60.0, ge=1)
    """Seconds between control cycles. The HPA syncs every 15 s; the floor moves more slowly."""
    dry_run: bool = False
    """Compute and publish plans without writing to Kubernetes or AWS (forecast-only)."""
    restore_on_shutdown: bool = True
    """Give every floor back to its owner's value on SIGTERM."""
    failure_threshold: int = Field(default=3, ge=1)
    """Consecutive troubled cycles in degraded mode before a target falls back to reactive."""
    recovery_threshold: int = Field(default=5, ge=1)
    """Consecutive healthy cycles before a target returns to predictive."""
    refit_every_seconds: float = Field(default=86400.0, ge=60)
    """How often each target's model is refitted (sooner when live quality drops)."""
    max_refits_per_cycle: int = Field(default=10, ge=1)
    """Bound on model fits per cycle so that many targets cannot stretch one cycle."""
    cycle_deadline_seconds: float = Field(default=0.0, ge=0)
    """Real seconds one cycle may take (0: 0.8 x ``interval_seconds``); a target whose reads
    have not returned by then (a hanging Prometheus) is skipped, counted as its failure."""
    io_workers: int = Field(default=8, ge=1, le=64)
    """Targets read at once (Prometheus, the HPA or group) in each cycle."""
    shutdown_seconds: float = Field(default=20.0, gt=0)
    """Real seconds giving every floor back may take on SIGTERM; keep it under the pod's
    termination grace period (the chart refuses to render otherwise)."""
    floor_lower_band: float = Field(default=0.10, ge=0, le=1)
    """A lower floor within this fraction of the current one waits (floor hysteresis)."""
    floor_raise_band: float = Field(default=0.15, ge=0, le=1)
    """A higher floor within this fraction of the current one waits (floor hysteresis)."""
    floor_min_band: int = Field(default=1, ge=0)
    """Neither band is narrower than this many replicas (0 with both fractions 0: no bands)."""
    floor_persistence_seconds: float = Field(default=3600.0, ge=0)
    """A floor change within its band is written once every cycle this long asked for it."""
    shadow_start: bool = True
    """A self-tuned target sets no floor until its first tuning has shown that forecasting pays
    on its own history (at once when it has two days of history or more; a target with less
    forecasts in shadow until it has). False: floors from the first forecast."""
    targets_file: Path | None = None
    """A YAML file of PredictiveAutoscaler objects (for running outside a cluster)."""


class KubernetesSettings(_Group):
    enabled: bool = False
    """Watch PredictiveAutoscaler objects and drive HPAs through the Kubernetes API."""
    namespace: str | None = None
    """Only this namespace (None: all namespaces the service account may read)."""
    kubeconfig: Path | None = None
    host: str | None = None
    """Explicit API server URL (tests); otherwise in-cluster config, then kubeconfig."""
    timeout_seconds: float = Field(default=10.0, gt=0)


class LeaderElectionSettings(_Group):
    enabled: bool = False
    """Run two replicas safely: only the holder of the Lease actuates."""
    namespace: str = "default"
    lease_name: str = "forescale-controller"
    identity: str = Field(default_factory=socket.gethostname, min_length=1)
    lease_duration_seconds: float = Field(default=15.0, gt=0)
    """How long a Lease is valid after its last renewal; longer than ``renew_deadline_seconds``."""
    renew_deadline_seconds: float = Field(default=10.0, gt=0)
    """The leader stops actuating when it could not renew for this long; longer than 1.2 x
    ``retry_period_seconds`` (client-go's checks)."""
    retry_period_seconds: float = Field(default=2.0, gt=0)
    shards: int = Field(default=1, ge=1, le=256)
    """Shard Leases the targets are split over (``{shard_lease_prefix}-K``, K in 0..shards-1);
    each replica drives the targets of the shards it holds. 1: no sharding, one Lease
    (``lease_name``) and one actuating replica, the others standing by."""
    shard_lease_prefix: str = Field(default="forescale-shard", min_length=1, max_length=240)
    replicas: int = Field(default=0, ge=0)
    """Replicas expected to share the shards (the chart's ``replicas``; 0: as many as
    ``shards``): a starting replica takes no more than its fair share ceil(shards/replicas)."""

    @model_validator(mode="after")
    def _timings(self) -> LeaderElectionSettings:
        if not self.lease_duration_seconds > self.renew_deadline_seconds:
            raise ValueError(
                f"lease_duration_seconds ({self.lease_duration_seconds:g}) must be greater than "
                f"renew_deadline_seconds ({self.renew_deadline_seconds:g})"
            )
        if not self.renew_deadline_seconds > 1.2 * self.retry_period_seconds:
            raise ValueError(
                f"renew_deadline_seconds ({self.renew_deadline_seconds:g}) must be greater than "
                f"1.2 x retry_period_seconds ({self.retry_period_seconds:g})"
            )
        if self.shards > 1 and not self.enabled:
            raise ValueError(
                f"shards ({self.shards}) needs enabled: true (each shard is a Lease); without "
                "leader election every replica would drive every target"
            )
        return self


class AwsGroup(_Group):
    endpoint_url: str | None = None
    """Override the AWS endpoint (tests, VPC endpoints). Credentials: the standard chain only."""
    retry_mode: Literal["standard", "adaptive"] = "standard"
    max_attempts: int = Field(default=4, ge=1, le=10)
    asg_control: Literal["min-size", "desired-capacity"] = "min-size"
    """Raise MinSize (default) or set DesiredCapacity directly."""


class StoreSettings(_Group):
    url: str | None = None
    """Where decisions, forecasts and accuracy are kept: sqlite:///path.db or
    postgresql+psycopg://user@host/db. None keeps them in memory (lost on restart)."""
    retention_days: float = Field(default=14.0, gt=0)
    models_url: str | None = None
    """Model store: a directory path or s3://bucket/prefix. None: models live in memory."""
    models_keep: int = Field(default=20, ge=1, le=10_000)
    """Model versions kept per target; each save deletes older ones (never the promoted)."""

    @field_validator("url")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        return None if value is None else check_store_url(value)

    @field_validator("models_url")
    @classmethod
    def _models_url(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("s3://"):
            parse_s3_url(value)
        return value


class ApiSettings(_Group):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    viewer_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Bearer tokens allowed to read. Empty and no operator tokens: reads are open."""
    operator_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Bearer tokens allowed to retrain, promote and pause targets."""
    trusted_proxy_header: str | None = None
    """Header set by an authenticating proxy carrying the role (e.g. X-Forescale-Role)."""
    tls_cert_file: Path | None = None
    """PEM certificate chain to serve HTTPS with (the chart mounts it from a TLS Secret)."""
    tls_key_file: Path | None = None
    """PEM private key of ``tls_cert_file``; give both or neither."""

    @field_validator("viewer_tokens", "operator_tokens", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        """Comma-separated tokens (an environment variable from a Secret); a value that is set
        but holds no token is refused: an empty key in the Secret would otherwise silently
        leave reads open to anyone."""
        if not isinstance(value, str):
            return value
        tokens = [v.strip() for v in value.split(",") if v.strip()]
        if not tokens:
            raise ValueError(
                "is set but holds no token (an empty key in the API tokens Secret?): reads would "
                "be open to anyone; put the tokens in the Secret, or do not set the variable"
            )
        return tokens

    @field_validator("viewer_tokens", "operator_tokens")
    @classmethod
    def _long_enough(cls, value: list[SecretStr]) -> list[SecretStr]:
        for index, token in enumerate(value, start=1):
            if len(token.get_secret_value().strip()) < MIN_TOKEN_LENGTH:
                raise ValueError(
                    f"token #{index} is shorter than {MIN_TOKEN_LENGTH} characters; generate "
                    "one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> ApiSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("set both tls_cert_file and tls_key_file to serve HTTPS, or neither")
        return self


class ForescaleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FORESCALE_",
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
    )
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    controller: ControllerSettings = Field(default_factory=ControllerSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    leader_election: LeaderElectionSettings = Field(default_factory=LeaderElectionSettings)
    aws: AwsGroup = Field(default_factory=AwsGroup)
    store: StoreSettings = Field(default_factory=StoreSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    executor: ExecutorSettings = Field(default_factory=ExecutorSettings)
    """Where ``forescale train`` runs (`scaler.config.executor`); the controller ignores it."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - not used: no .env files
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FileSource(settings_cls, _FILE_VALUES.get() or {}))


class _FileSource(PydanticBaseSettingsSource):
    """The settings file's values (already read and checked by `load_settings`)."""

    def __init__(self, settings_cls: type[BaseSettings], values: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self._values = dict(values)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        del field
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._values


_FILE_VALUES: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "forescale_settings_file", default=None
)
"""The file being loaded by `load_settings` in this thread/context (never the environment)."""


@contextmanager
def _file_values(values: Mapping[str, Any]) -> Iterator[None]:
    token = _FILE_VALUES.set(values)
    try:
        yield
    finally:
        _FILE_VALUES.reset(token)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"settings file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc}") from None
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"settings file {path} is not valid YAML: {yaml_problem(exc)}") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(
            f"settings file {path} must be a mapping of groups (prometheus:, controller:, ...), "
            f"not a {type(values).__name__}"
        )
    return values


def load_settings(config: str | Path | None = None, **overrides: Any) -> ForescaleSettings:
    """Settings from env and an optional YAML file (``config``, else ``FORESCALE_CONFIG``);
    `ConfigError` names every bad field."""
    if config is None:
        config = os.environ.get("FORESCALE_CONFIG") or None
    values = _read_file(Path(config)) if config is not None else {}
    try:
        with _file_values(values):
            settings = ForescaleSettings(**overrides)
    except SettingsError as exc:
        raise ConfigError(f"invalid settings: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {_message(err)}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
    register_secret(*secret_values(settings))
    return settings


_AWS_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def secret_values(settings: ForescaleSettings) -> list[str]:
    """Every credential the process holds (tokens, passwords, AWS keys from the environment),
    so that `scaler.redact` masks them wherever a library or an exception prints them."""
    api = settings.api
    values = [t.get_secret_value() for t in (*api.viewer_tokens, *api.operator_tokens)]
    for url in (settings.store.url, settings.prometheus.url):
        if url:
            parts = urlsplit(url)
            query = parse_qs(parts.query)
            values += [
                parts.password or "",
                *query.get("password", []),
                *query.get("sslpassword", []),
            ]
    values += [os.environ.get(name, "") for name in _AWS_SECRETS]
    return sorted({*values, *map(unquote, values)} - {""})  # as written and percent-decoded


def _message(error: Any) -> str:
    """Pydantic's message without its "Value error, " prefix (ours are whole sentences)."""
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
