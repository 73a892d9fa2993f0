"""``FORESCALE_*`` environment variables that set nothing: named, with the setting meant.

pydantic-settings reads only the variables it knows, so ``FORESCALE_PROMETEUS__URL`` (a misspelt
group) or ``FORESCALE_PROMETHEUS_URL`` (one underscore) would be ignored without a word and the
process would run with the default. ``forescale run`` and ``train`` log each one as a warning;
``check-config`` refuses them. Variables Kubernetes injects for a Service named ``forescale``
(``FORESCALE_SERVICE_HOST``, ``FORESCALE_PORT_8080_TCP``, ...) are not settings and are left alone.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping

from pydantic import BaseModel

from forescale.scaler.config.settings import ForescaleSettings

__all__ = ["unknown_variables"]

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
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            known.update(f"FORESCALE_{name}__{sub}".upper() for sub in group.model_fields)
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
