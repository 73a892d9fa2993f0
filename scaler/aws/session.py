"""boto3 clients for the AWS adapters: standard credential chain, optional role, bounded retries.

Credentials come only from botocore's default chain: environment, shared profile, web identity
(IRSA in EKS), container or instance metadata. Nothing here reads, stores or logs a secret; only
the role ARN and the expiry of assumed credentials appear in logs.

A target may name a role to assume (cross-account groups). Assumed credentials are cached per
(role, region) until ``refresh_margin`` before they expire, and the clients built on them are
rebuilt when they are renewed. Clients are cached per (service, region, role): they are
thread-safe and expensive to build; the boto3 ``Session`` that builds them is not thread-safe, so
building happens under a lock.

Retries are botocore's own ``standard`` or ``adaptive`` mode (throttling and 5xx with jittered
exponential backoff; adaptive also rate-limits the client), always bounded by ``max_attempts``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config

from forescale.scaler.aws.errors import (
    AWS_ERRORS,
    AwsCredentialsError,
    FailureKind,
    actuation_error,
    classify,
)
from forescale.scaler.clock import Clock, SystemClock
from forescale.scaler.errors import AccessDenied, ConfigError

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

__all__ = ["AwsClients", "AwsSettings", "RetryMode"]

log = logging.getLogger(__name__)

RetryMode = Literal["standard", "adaptive"]
MAX_ATTEMPTS_LIMIT = 10
"""A control cycle is a minute: more attempts than this would only delay the fallback."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsSettings:
    """How the controller talks to AWS. Defaults suit a one-minute control cycle."""

    endpoint_url: str | None = None
    """Send every call here instead of AWS (moto in tests, a private API endpoint)."""
    retry_mode: RetryMode = "standard"
    max_attempts: int = 4
    """Attempts per call including the first (botocore ``total_max_attempts``), 1..10."""
    connect_timeout: timedelta = timedelta(seconds=5)
    read_timeout: timedelta = timedelta(seconds=15)
    role_session_name: str = "forescale"
    """Shown in CloudTrail as who made each change on an assumed role."""
    role_duration: timedelta = timedelta(hours=1)
    refresh_margin: timedelta = timedelta(minutes=5)
    """Assumed credentials are renewed this long before they expire."""

    def __post_init__(self) -> None:
        problems = []
        if self.retry_mode not in ("standard", "adaptive"):
            problems.append(f"retry_mode must be 'standard' or 'adaptive', not {self.retry_mode!r}")
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS_LIMIT:
            problems.append(
                f"max_attempts must be 1..{MAX_ATTEMPTS_LIMIT}, not {self.max_attempts}"
            )
        for name in ("connect_timeout", "read_timeout"):
            if getattr(self, name) <= timedelta(0):
                problems.append(f"{name} must be positive")
        if not timedelta(minutes=15) <= self.role_duration <= timedelta(hours=12):
            problems.append("role_duration must be between 15m and 12h (STS limits)")
        if not timedelta(0) <= self.refresh_margin < self.role_duration:
            problems.append("refresh_margin must be >= 0 and shorter than role_duration")
        if not 2 <= len(self.role_session_name) <= 64:
            problems.append("role_session_name must be 2..64 characters")
        if problems:
            raise ConfigError("aws: " + "; ".join(problems))

    def botocore_config(self) -> Config:
        return Config(
            connect_timeout=self.connect_timeout.total_seconds(),
            read_timeout=self.read_timeout.total_seconds(),
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            # Path-style URLs work with any endpoint (moto, an IP); AWS still accepts them.
            s3={"addressing_style": "path"} if self.endpoint_url else None,
        )


@dataclass(frozen=True, slots=True)
class _Assumed:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires: datetime


class AwsClients:
    """Builds and caches the boto3 clients every AWS adapter uses.

    ``session`` defaults to a new boto3 ``Session`` (the standard credential chain); tests pass
    one to hook its events. ``clock`` decides when assumed credentials are due for renewal.
    """

    def __init__(
        self,
        settings: AwsSettings | None = None,
        *,
        session: boto3.Session | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings or AwsSettings()
        self._session = session or boto3.Session()
        self._clock = clock or SystemClock()
        self._config = self.settings.botocore_config()
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str | None, str | None], tuple[Any, _Assumed | None]] = {}
        self._assumed: dict[tuple[str, str | None], _Assumed] = {}

    def autoscaling(self, region: str, *, role_arn: str | None = None) -> AutoScalingClient:
        client: AutoScalingClient = self._client("autoscaling", region, role_arn)
        return client

    def s3(self, *, region: str | None = None) -> S3Client:
        client: S3Client = self._client("s3", region, None)
        return client

    def forget(self, role_arn: str | None) -> None:
        """Drop cached credentials for ``role_arn`` (after AWS called them expired), so the next
        call assumes the role again instead of failing until the cached expiry."""
        with self._lock:
            for key in [k for k in self._assumed if k[0] == role_arn]:
                del self._assumed[key]

    # -- internals --------------------------------------------------------------------------
    def _client(self, service: str, region: str | None, role_arn: str | None) -> Any:
        with self._lock:
            assumed = self._credentials(role_arn, region) if role_arn else None
            key = (service, region, role_arn)
            cached = self._clients.get(key)
            if cached is not None and cached[1] is assumed:
                return cached[0]
            extra: dict[str, Any] = {}
            if assumed is not None:
                extra = {
                    "aws_access_key_id": assumed.access_key_id,
                    "aws_secret_access_key": assumed.secret_access_key,
                    "aws_session_token": assumed.session_token,
                }
            client = self._session.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self.settings.endpoint_url,
                config=self._config,
                **extra,
            )
            self._clients[key] = (client, assumed)
            return client

    def _credentials(self, role_arn: str, region: str | None) -> _Assumed:
        """Cached assumed-role credentials, renewed ``refresh_margin`` before expiry."""
        now = self._clock.now()
        cached = self._assumed.get((role_arn, region))
        if cached is not None and now < cached.expires - self.settings.refresh_margin:
            return cached
        sts: STSClient = self._session.client(
            "sts", region_name=region, endpoint_url=self.settings.endpoint_url, config=self._config
        )
        try:
            response = sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=self.settings.role_session_name,
                DurationSeconds=int(self.settings.role_duration.total_seconds()),
            )
        except AWS_ERRORS as exc:
            failure = classify(exc, service="sts", operation="AssumeRole")
            if failure.kind is FailureKind.DENIED:
                raise AccessDenied(
                    f"cannot assume {role_arn}: {failure.explain()}; the role's trust policy "
                    "must also allow the controller's identity"
                ) from None
            raise actuation_error(failure, target=f"assume {role_arn}") from None
        credentials = response["Credentials"]
        expires = credentials["Expiration"]
        expires = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires
        assumed = _Assumed(
            access_key_id=credentials["AccessKeyId"],
            secret_access_key=credentials["SecretAccessKey"],
            session_token=credentials["SessionToken"],
            expires=expires.astimezone(UTC),
        )
        if assumed.expires <= now:
            raise AwsCredentialsError(
                f"STS returned credentials for {role_arn} that expired at {assumed.expires}; "
                "check the controller's clock (NTP)"
            )
        log.info("assumed role %s until %s", role_arn, assumed.expires.isoformat())
        self._assumed[(role_arn, region)] = assumed
        return assumed
