"""Process settings: one typed object made of documented groups, loaded at the boundary.

Sources, highest priority first: explicit arguments, environment variables (``FORESCALE_`` prefix,
``__`` between group and field, e.g. ``FORESCALE_CONTROLLER__DRY_RUN=true``), then an optional
YAML file (``--config``, or ``FORESCALE_CONFIG``). Core code receives these groups as arguments
and never reads a global. Durations carry their unit in the name (``interval_seconds``), as in
the Helm values.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

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
    YamlConfigSettingsSource,
)
from pydantic_settings.exceptions import SettingsError

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
    identity: str = Field(default_factory=socket.gethostname)
    lease_duration_seconds: float = Field(default=15.0, gt=0)
    renew_deadline_seconds: float = Field(default=10.0, gt=0)
    retry_period_seconds: float = Field(default=2.0, gt=0)


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
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("FORESCALE_CONFIG")
        if config:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config))
        return tuple(sources)


def load_settings(config: str | Path | None = None, **overrides: Any) -> ForescaleSettings:
    """Settings from env and an optional YAML file; `ConfigError` names every bad field."""
    previous = os.environ.get("FORESCALE_CONFIG")
    try:
        if config is not None:
            path = Path(config)
            if not path.is_file():
                raise ConfigError(f"settings file {path} not found")
            os.environ["FORESCALE_CONFIG"] = str(path)
        settings = ForescaleSettings(**overrides)
    except SettingsError as exc:
        raise ConfigError(f"invalid settings: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
    finally:
        if config is not None:
            if previous is None:
                os.environ.pop("FORESCALE_CONFIG", None)
            else:
                os.environ["FORESCALE_CONFIG"] = previous
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
