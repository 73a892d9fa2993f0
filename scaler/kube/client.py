"""The one door to the Kubernetes API: an `ApiClient` factory and `KubeApi`, dicts in and out.

`KubeApi` reaches every resource Forescale uses through the official client's generic
``CustomObjectsApi`` (``/apis/{group}/{version}/namespaces/{ns}/{plural}``), which works for
built-in groups (``autoscaling``, ``coordination.k8s.io``, ``events.k8s.io``) as well as our CRD.
Why not the typed APIs: kubernetes 37.x re-validates dict bodies into pydantic models and
re-serializes times with ``isoformat()``, which drops the microseconds when they are zero; the
API server parses Lease and Event ``MicroTime`` fields with a six-digit layout and answers 400.
Dicts pass through unchanged, and reading dicts keeps us independent of model-class churn between
client versions.

Every call carries ``_request_timeout``; urllib3's own silent retries are switched off so the
only retry policy is the visible, bounded one in `scaler.kube.retry`. Failures surface as one
exception, `KubeError`, that the adapters translate into `scaler.errors`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from forescale.scaler.errors import ActuationError, ConfigError, PermanentError

__all__ = [
    "EVENT",
    "HPA",
    "LEASE",
    "PREDICTIVE_AUTOSCALER",
    "KubeApi",
    "KubeError",
    "RequestRejected",
    "Resource",
    "build_api_client",
]

logger = logging.getLogger(__name__)
Obj = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


HPA = Resource(
    group="autoscaling",
    version="v2",
    plural="horizontalpodautoscalers",
    kind="HorizontalPodAutoscaler",
)
LEASE = Resource(group="coordination.k8s.io", version="v1", plural="leases", kind="Lease")
EVENT = Resource(group="events.k8s.io", version="v1", plural="events", kind="Event")
PREDICTIVE_AUTOSCALER = Resource(
    group="forescale.io",
    version="v1alpha1",
    plural="predictiveautoscalers",
    kind="PredictiveAutoscaler",
)


class RequestRejected(ActuationError, PermanentError):
    """The API server refused a write as invalid (400/422); retrying will not help."""


MERGE_PATCH = "application/merge-patch+json"
_RBAC_VERBS = {"GET": "get", "LIST": "list", "POST": "create", "PUT": "update", "PATCH": "patch"}


class KubeError(Exception):
    """A failed API call. ``status`` 0 means no HTTP answer (timeout, connection refused)."""

    def __init__(
        self,
        *,
        status: int,
        message: str,
        verb: str,
        resource: Resource,
        namespace: str | None,
        name: str | None,
        subresource: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status, self.message, self.verb = status, message, verb
        self.resource, self.namespace, self.name = resource, namespace, name
        self.subresource = subresource
        self.retry_after = retry_after
        super().__init__(f"{self.what}: {self.describe()}")

    @property
    def what(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.verb} {self.resource.kind} {where}{self.name or '(list)'}"

    @property
    def is_transient(self) -> bool:
        """Worth retrying: no answer, throttled, or a server-side failure."""
        return self.status == 0 or self.status == 429 or self.status >= 500

    @property
    def rbac_hint(self) -> str:
        """What a 403 needs, in the words of an RBAC Role rule."""
        verb = _RBAC_VERBS.get(self.verb, self.verb.lower())
        scope = f"namespace {self.namespace!r}" if self.namespace else "all namespaces"
        plural = self.resource.plural + (f"/{self.subresource}" if self.subresource else "")
        return (
            f"grant the controller's ServiceAccount the RBAC verb {verb!r} on resource "
            f"{plural!r} in apiGroup {self.resource.group!r} ({scope})"
        )

    def describe(self) -> str:
        return f"HTTP {self.status}: {self.message}" if self.status else self.message


def build_api_client(
    *, host: str | None = None, kubeconfig: str | None = None, context: str | None = None
) -> client.ApiClient:
    """An `ApiClient` for ``host`` (tests, ``kubectl proxy``), else the pod's service account
    when running in a cluster, else the kubeconfig (``KUBECONFIG`` or ``~/.kube/config``)."""
    configuration = client.Configuration()
    try:
        if host is not None:
            configuration.host = host
        elif kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context, client_configuration=configuration
            )
    except (ConfigException, OSError) as exc:
        raise ConfigError(
            f"cannot configure the Kubernetes client: {exc}. Run inside a pod with a "
            "ServiceAccount, or set kubernetes.kubeconfig (FORESCALE_KUBERNETES__KUBECONFIG) or "
            "KUBECONFIG to a valid file"
        ) from None
    configuration.retries = False  # our retry policy is the only one (scaler.kube.retry)
    return client.ApiClient(configuration)


class KubeApi:
    """Dict-in, dict-out CRUD with a timeout on every request."""

    def __init__(self, api_client: client.ApiClient, *, timeout: float = 10.0) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self._api = client.CustomObjectsApi(api_client)
        self.timeout = timeout

    def get(self, res: Resource, *, namespace: str, name: str) -> Obj:
        call = self._api.get_namespaced_custom_object
        return self._call(
            "GET",
            res,
            namespace,
            name,
            lambda t: call(*_at(res, namespace), name, _request_timeout=t),
        )

    def list(self, res: Resource, *, namespace: str | None = None) -> list[Obj]:
        """All objects in ``namespace``, or in every namespace when it is ``None``."""
        if namespace is None:
            every = self._api.list_cluster_custom_object
            listing = self._call(
                "LIST",
                res,
                None,
                None,
                lambda t: every(res.group, res.version, res.plural, _request_timeout=t),
            )
        else:
            one = self._api.list_namespaced_custom_object
            listing = self._call(
                "LIST",
                res,
                namespace,
                None,
                lambda t: one(*_at(res, namespace), _request_timeout=t),
            )
        return [item for item in listing.get("items") or [] if isinstance(item, dict)]

    def create(self, res: Resource, *, namespace: str, body: Obj) -> Obj:
        call = self._api.create_namespaced_custom_object
        name = (body.get("metadata") or {}).get("name")
        return self._call(
            "POST",
            res,
            namespace,
            name,
            lambda t: call(*_at(res, namespace), body, _request_timeout=t),
        )

    def replace(self, res: Resource, *, namespace: str, name: str, body: Obj) -> Obj:
        """PUT; a ``metadata.resourceVersion`` in ``body`` makes it conditional (409 if stale)."""
        call = self._api.replace_namespaced_custom_object
        return self._call(
            "PUT",
            res,
            namespace,
            name,
            lambda t: call(*_at(res, namespace), name, body, _request_timeout=t),
        )

    def merge_patch(
        self, res: Resource, *, namespace: str, name: str, patch: Obj, status: bool = False
    ) -> Obj:
        """RFC 7386 merge patch (``None`` deletes a key), to the object or its ``/status``."""
        call = (
            self._api.patch_namespaced_custom_object_status
            if status
            else self._api.patch_namespaced_custom_object
        )
        return self._call(
            "PATCH",
            res,
            namespace,
            name,
            lambda t: call(
                *_at(res, namespace), name, patch, _request_timeout=t, _content_type=MERGE_PATCH
            ),
            subresource="status" if status else None,
        )

    def _call(
        self,
        verb: str,
        res: Resource,
        namespace: str | None,
        name: str | None,
        call: Callable[[float], Any],
        *,
        subresource: str | None = None,
    ) -> Obj:
        """``call(timeout)``, with every failure turned into one `KubeError`."""
        status, message, retry_after = 0, "", None
        try:
            result = call(self.timeout)
            if isinstance(result, dict):
                return result
            message = f"unexpected response type {type(result).__name__}"
        except ApiException as exc:
            status, message, retry_after = exc.status or 0, _status_message(exc), _retry_after(exc)
        except urllib3.exceptions.HTTPError as exc:
            kind = "timed out" if isinstance(exc, urllib3.exceptions.TimeoutError) else "failed"
            message = f"request {kind} after at most {self.timeout:g}s: {exc}"
        raise KubeError(
            status=status,
            message=message,
            verb=verb,
            resource=res,
            namespace=namespace,
            name=name,
            subresource=subresource,
            retry_after=retry_after,
        )


def _at(res: Resource, namespace: str) -> tuple[str, str, str, str]:
    """The leading arguments of every namespaced ``CustomObjectsApi`` method."""
    return res.group, res.version, namespace, res.plural


def _status_message(exc: ApiException) -> str:
    """The ``message`` of the server's ``Status`` body, else the HTTP reason."""
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(exc.reason or "no reason given")


def _retry_after(exc: ApiException) -> float | None:
    value = (exc.headers or {}).get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
