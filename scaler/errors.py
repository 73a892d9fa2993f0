"""One error hierarchy for the control side, rooted at `ScalerError`.

Adapters translate outside exceptions (``ApiException``, ``ClientError``, HTTP errors) into these,
so nothing above the adapter layer catches a client library's exception. `TemporaryError` means
"try again next cycle" (optionally after ``delay`` seconds); `PermanentError` means the target's
configuration or the outside object is wrong and retrying will not help until someone fixes it.
"""

from __future__ import annotations


class ScalerError(Exception):
    """Root of every error raised by `scaler`."""


class TemporaryError(ScalerError):
    """Transient: the next cycle may succeed (timeouts, 5xx, throttling, conflicts)."""

    def __init__(self, message: str, *, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentError(ScalerError):
    """Will not succeed until configuration or the outside object changes."""


class ConfigError(PermanentError, ValueError):
    """Invalid settings or target specification; the message names the field."""


# -- metrics -------------------------------------------------------------------------------
class MetricsError(ScalerError):
    """Base for metric-source failures."""


class EmptyResult(MetricsError):
    """The query matched no series (no data yet, or a wrong selector)."""


class AmbiguousResult(MetricsError, PermanentError):
    """More than one series where exactly one was expected; aggregate with sum()/by()."""


class QueryError(MetricsError, PermanentError):
    """The metric backend refused the query (bad PromQL); carries the backend's message."""


class MetricsUnavailable(MetricsError, TemporaryError):
    """The metric backend is unreachable or too slow."""


class MalformedReply(MetricsError, TemporaryError):
    """The backend answered 200 with a body that is not a valid reply (bad values, wrong shape):
    a failure of that fetch like a 503, never a crash of the cycle."""


# -- forecasting ---------------------------------------------------------------------------
class ForecastUnavailable(ScalerError):
    """No usable forecast for a target (no model yet, too little history, model failure)."""


class NotTunedYet(ScalerError):
    """A target has not been tuned yet (too few recorded forecasts, or tuning is off)."""


class ModelStoreError(ScalerError):
    """The model store cannot read or write an artifact."""


class ModelNotFound(ModelStoreError, KeyError):
    """No model is stored for this target (or this version)."""


# -- actuation -----------------------------------------------------------------------------
class ActuationError(ScalerError):
    """Base for failures writing to Kubernetes or AWS."""


class TargetNotFound(ActuationError, PermanentError):
    """The scaled object (HPA, Auto Scaling group) does not exist."""


class AccessDenied(ActuationError, PermanentError):
    """The controller lacks a permission; the message names the RBAC verb or IAM action."""


class ActuationConflict(ActuationError, TemporaryError):
    """The object changed under us (HTTP 409) and retries did not settle it."""


class ActuationUnavailable(ActuationError, TemporaryError):
    """The API is unreachable, throttling or failing (429, 5xx, timeouts)."""
