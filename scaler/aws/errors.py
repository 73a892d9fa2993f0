"""Translate botocore failures into the scaler error hierarchy, here and nowhere else.

`classify` turns a `ClientError`/`BotoCoreError` into an `AwsFailure` (what went wrong, which IAM
action was involved, whether a retry can help). Each adapter then picks its own error family:
`actuation_error` for the Auto Scaling actuator; the S3 model store maps to `ModelStoreError`.
botocore has already retried throttling and 5xx (bounded, see `AwsSettings`) by the time an
exception reaches us, so "throttled" here means "retries exhausted: try next cycle".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    BotoCoreError,
    ChecksumError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    FlexibleChecksumError,
    HTTPClientError,
    IncompleteReadError,
    MetadataRetrievalError,
    NoAuthTokenError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)
from botocore.parsers import ResponseParserError

from forescale.scaler.aws.iam import POLICY_FILE, iam_action
from forescale.scaler.errors import (
    AccessDenied,
    ActuationError,
    ActuationUnavailable,
    PermanentError,
    TargetNotFound,
)

__all__ = [
    "AWS_ERRORS",
    "AwsCredentialsError",
    "AwsFailure",
    "AwsRejected",
    "FailureKind",
    "actuation_error",
    "classify",
]


AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
"""Everything a botocore call raises for a failed request. ResponseParserError (an unparsable
body, e.g. a 5xx HTML page from a proxy) is not a BotoCoreError, hence the tuple."""


class AwsCredentialsError(AccessDenied):
    """AWS credentials are missing, invalid or expired (not a missing permission)."""


class AwsRejected(ActuationError, PermanentError):
    """AWS refused the request as invalid (e.g. a ValidationError); retrying will not help."""


class FailureKind(StrEnum):
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not-found"
    DENIED = "denied"
    CREDENTIALS = "credentials"
    INVALID = "invalid"


_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "BandwidthLimitExceeded",
        "PriorRequestNotComplete",
    }
)
_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "TokenRefreshRequired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "MissingAuthenticationToken",
    }
)
_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchBucket", "NotFound", "ResourceNotFound", "404"})
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})

_CREDENTIAL_EXCEPTIONS = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    TokenRetrievalError,
    NoAuthTokenError,
    MetadataRetrievalError,
    ProfileNotFound,
    NoRegionError,
)
_TRANSIENT_EXCEPTIONS = (
    ConnectionError,  # refused, DNS, connect timeout
    HTTPClientError,  # read timeout, connection closed mid-response
    IncompleteReadError,
    ChecksumError,  # body damaged in transit
    FlexibleChecksumError,  # a download that does not match S3's stored SHA-256
    ResponseParserError,  # a 5xx HTML page from a proxy or load balancer
)
_MISSING_CREDENTIALS = frozenset(
    cls.__name__ for cls in _CREDENTIAL_EXCEPTIONS if cls is not NoRegionError
)
"""Raised before any request: nothing was found (or could be read) to sign with."""
_CREDENTIAL_HELP = (
    "in a cluster, annotate the service account with eks.amazonaws.com/role-arn (IRSA); "
    "locally, set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsFailure:
    """One failed AWS call, described without the client library's types."""

    kind: FailureKind
    service: str
    operation: str
    code: str
    message: str
    status: int | None = None

    @property
    def iam_action(self) -> str:
        return iam_action(self.service, self.operation)

    def explain(self) -> str:
        """A sentence that says what failed and how to fix it."""
        call = f"{self.service}:{self.operation}"
        if self.kind is FailureKind.DENIED:
            return (
                f"IAM denied {self.iam_action} ({self.code}: {self.message}); grant "
                f"{self.iam_action} to the controller's role (reference policy: {POLICY_FILE})"
            )
        if self.kind is FailureKind.CREDENTIALS:
            if self.code in _EXPIRED:
                return (
                    f"AWS credentials expired while calling {call} ({self.code}); refresh them "
                    f"(aws sso login / a new session token) or check the IRSA token mount: "
                    f"{_CREDENTIAL_HELP}"
                )
            if self.code == NoRegionError.__name__:
                return f"no AWS region for {call}: set AWS_REGION (or AWS_DEFAULT_REGION)"
            if self.code in _MISSING_CREDENTIALS:
                return (
                    f"no AWS credentials found for {call} ({self.code}: {self.message}); "
                    f"{_CREDENTIAL_HELP}"
                )
            return f"AWS credentials rejected by {call} ({self.code}: {self.message}); " + (
                _CREDENTIAL_HELP
            )
        if self.kind is FailureKind.THROTTLED:
            return (
                f"{call} throttled by AWS ({self.code}) after bounded retries; next cycle retries"
            )
        if self.kind is FailureKind.UNAVAILABLE:
            return f"{call} failed transiently ({self.code}: {self.message}); next cycle retries"
        return f"{call} rejected: {self.code}: {self.message}"


def classify(exc: Exception, *, service: str, operation: str) -> AwsFailure:
    """What kind of failure ``exc`` is, for ``service``/``operation`` (used when botocore's
    exception does not carry the operation, e.g. connection errors)."""
    if isinstance(exc, ClientError):
        return _classify_client_error(exc, service=service)
    kind = FailureKind.INVALID
    if isinstance(exc, _CREDENTIAL_EXCEPTIONS):
        kind = FailureKind.CREDENTIALS
    elif isinstance(exc, _TRANSIENT_EXCEPTIONS):
        kind = FailureKind.UNAVAILABLE
    message = str(exc)
    return AwsFailure(
        kind=kind,
        service=service,
        operation=operation,
        code=type(exc).__name__,
        message=message,
    )


def _classify_client_error(exc: ClientError, *, service: str) -> AwsFailure:
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")) or str(exc)
    status = meta.get("HTTPStatusCode")
    if code in _THROTTLED or status == 429:
        kind = FailureKind.THROTTLED
    elif code in _CREDENTIALS:
        kind = FailureKind.CREDENTIALS
    elif code in _DENIED or status == 403:
        kind = FailureKind.DENIED
    elif code in _NOT_FOUND or status == 404 or _is_group_not_found(code, message):
        kind = FailureKind.NOT_FOUND
    elif status is not None and status >= 500:
        kind = FailureKind.UNAVAILABLE
    else:
        kind = FailureKind.INVALID
    return AwsFailure(
        kind=kind,
        service=service,
        operation=exc.operation_name,
        code=code,
        message=message,
        status=status,
    )


def _is_group_not_found(code: str, message: str) -> bool:
    # Auto Scaling reports a missing group as a generic ValidationError.
    return code == "ValidationError" and "not found" in message.lower()


def actuation_error(failure: AwsFailure, *, target: str) -> ActuationError:
    """The actuator's typed error for ``failure`` on ``target`` (``asg/region/name``)."""
    text = f"{target}: {failure.explain()}"
    if failure.kind is FailureKind.NOT_FOUND:
        return TargetNotFound(
            f"{target}: Auto Scaling group not found ({failure.message}); check the name and "
            "region in the target spec (groups are regional)"
        )
    if failure.kind is FailureKind.DENIED:
        return AccessDenied(text)
    if failure.kind is FailureKind.CREDENTIALS:
        return AwsCredentialsError(text)
    if failure.kind in (FailureKind.THROTTLED, FailureKind.UNAVAILABLE):
        return ActuationUnavailable(text)
    return AwsRejected(text)
