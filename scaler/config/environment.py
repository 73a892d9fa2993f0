"""What ``forescale run`` needs from the machine it runs on, beyond valid settings.

- `check_runnable`: a Prometheus URL, somewhere to read targets from, readable token and
  certificate files, a Kubernetes cluster the client can be configured for. ``build`` and
  ``check-config`` both call it, so the second refuses what the first would.
- `unknown_variables`: ``FORESCALE_*`` environment variables that set nothing, named with the
  setting meant. pydantic-settings reads only the variables it knows, so
  ``FORESCALE_PROMETEUS__URL`` (a misspelt group) or ``FORESCALE_PROMETHEUS_URL`` (one
  underscore) would be ignored without a word and the process would run with the default.
  ``forescale run`` and ``train`` log each one as a warning; ``check-config`` refuses them.
  Variables Kubernetes injects for a Service named ``forescale`` (``FORESCALE_SERVICE_HOST``,
  ``FORESCALE_PORT_8080_TCP``, ...) are not settings and are left alone.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from forescale.scaler.config.settings import ForescaleSettings, KubernetesSettings
from forescale.scaler.errors import ConfigError

__all__ = ["check_runnable", "unknown_variables"]

_SERVICE_LINK = re.compile(
    r"FORESCALE(_[A-Z0-9_]+)?_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?"
    r"|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)"
)
"""Variables Kubernetes injects for a Service named forescale(-...) (not settings)."""


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One message per ``FORESCALE_*`` variable that sets nothing, with the nearest setting."""
    environ = os.environ if environ is None else environ
    known = {"FORESCALE_CONFIG"}
    for name, field in ForescaleSettings.model_fields.items():
        group = _model_of(field.annotation)
        if group is not None:
            known.update(_known(f"FORESCALE_{name}", group))
        else:
            known.add(f"FORESCALE_{name}".upper())
    messages = []
    for variable in sorted(environ):
        upper = variable.upper()
        if not upper.startswith("FORESCALE_") or upper in known or _SERVICE_LINK.fullmatch(upper):
            continue
        near = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.75)
        hint = f"; did you mean {near[0]}?" if near else ""
        messages.append(f"{variable} is not a Forescale setting and is ignored{hint}")
    return messages


def _known(prefix: str, group: type[BaseModel]) -> Iterator[str]:
    """The variables of ``group``'s fields, and of the fields of a group within it (such as
    ``FORESCALE_EXECUTOR__DASK__ADDRESS``)."""
    for name, field in group.model_fields.items():
        variable = f"{prefix}__{name}".upper()
        yield variable
        inner = _model_of(field.annotation)
        if inner is not None:
            yield from _known(variable, inner)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings group an annotation holds: ``Group`` or ``Group | None``."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def check_runnable(settings: ForescaleSettings) -> None:
    """What ``forescale run`` needs beyond valid values; `ConfigError` naming every problem."""
    problems: list[str] = []
    if not settings.prometheus.url:
        problems.append(
            "prometheus.url is required (FORESCALE_PROMETHEUS__URL), e.g. http://prometheus:9090"
        )
    if not settings.kubernetes.enabled and settings.controller.targets_file is None:
        problems.append(
            "no targets: set kubernetes.enabled (PredictiveAutoscaler objects) or "
            "controller.targets_file (a YAML file of them)"
        )
    files = {
        "prometheus.bearer_token_file": settings.prometheus.bearer_token_file,
        "kubernetes.kubeconfig": settings.kubernetes.kubeconfig if settings.kubernetes.enabled
        else None,
        "api.tls_cert_file": settings.api.tls_cert_file if settings.api.enabled else None,
        "api.tls_key_file": settings.api.tls_key_file if settings.api.enabled else None,
    }  # fmt: skip
    for field, path in files.items():
        if path is not None and not os.access(path, os.R_OK):
            why = "not found" if not path.exists() else "not readable"
            problems.append(f"{field}: {path} is {why}")
    problems += _kube_access(settings.kubernetes)
    if problems:
        raise ConfigError("; ".join(problems))


def _kube_access(kube: KubernetesSettings) -> list[str]:
    """How the Kubernetes client would be configured, checked without connecting: an explicit
    ``host``, the pod's service account, else a kubeconfig (``kubernetes.kubeconfig``, else
    ``KUBECONFIG``, else ``~/.kube/config``: the official client's order)."""
    if not kube.enabled or kube.host or kube.kubeconfig:
        return []
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return []  # in a pod: the service account
    found = os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())
    if all(os.access(part, os.R_OK) for part in found.split(os.pathsep) if part):
        return []
    return [
        f"kubernetes.enabled but no cluster to talk to: not in a pod, and the kubeconfig "
        f"{found} is not readable; set kubernetes.kubeconfig (FORESCALE_KUBERNETES__KUBECONFIG) "
        "or KUBECONFIG to a readable file, or kubernetes.host"
    ]
