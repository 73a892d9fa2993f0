"""Who is calling: bearer tokens or a trusted proxy's header, mapped to a role.

Roles are ordered: ``operator`` (retrain, promote, pause/resume) includes ``viewer`` (reads, the
chart page). Credentials, first match wins:

1. ``Authorization: Bearer <token>``: the token is compared, in constant time
   (`hmac.compare_digest`), with every configured operator and viewer token. A wrong token is a
   401 even where reads are open: a caller who sends one wants to know it is wrong.
2. The ``trusted_proxy_header`` (when configured), set by an authenticating proxy in front of the
   API (oauth2-proxy, an ingress with auth): its value is the role, ``viewer`` or ``operator``.
   Only configure it when every request reaches the API through that proxy, which must overwrite
   the header; anyone who can reach the API directly could otherwise claim any role.
3. No credentials: anonymous. Anonymous callers may read only when no token and no proxy header
   is configured at all (a laptop or the demo); writes always need the operator role, so a
   default deployment exposes nothing that changes capacity.

Tokens never appear in logs, errors or responses: principals carry only the role and which
configured token matched (``operator token #2``), which is what audit lines need.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import IntEnum

from pydantic import SecretStr

from forescale.scaler.config.settings import ApiSettings

__all__ = ["AuthError", "Authenticator", "Principal", "Role"]


class Role(IntEnum):
    ANONYMOUS = 0
    VIEWER = 1
    OPERATOR = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    via: str
    """How the caller was identified, safe to log: ``viewer token #1``, ``proxy``, ``anonymous``."""


class AuthError(Exception):
    """401 (``status`` 401: no or bad credentials) or 403 (authenticated, role too low)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _tokens(secrets: list[SecretStr]) -> tuple[bytes, ...]:
    """The tokens as bytes (their length is checked by `ApiSettings`, before anything serves)."""
    return tuple(s.get_secret_value().strip().encode() for s in secrets)


class Authenticator:
    """Resolves a request's credentials to a `Principal` and checks roles."""

    def __init__(self, settings: ApiSettings) -> None:
        self._operators = _tokens(settings.operator_tokens)
        self._viewers = _tokens(settings.viewer_tokens)
        header = (settings.trusted_proxy_header or "").strip()
        self.proxy_header = header.lower() or None
        self.open_reads = not (self._operators or self._viewers or self.proxy_header)

    def describe(self) -> str:
        """The configured mode, for the startup log line (counts only, never tokens)."""
        if self.open_reads:
            return "open reads, writes disabled (no api tokens or trusted proxy header configured)"
        parts = [
            f"{len(self._operators)} operator token(s)",
            f"{len(self._viewers)} viewer token(s)",
        ]
        if self.proxy_header:
            parts.append(f"trusted proxy header {self.proxy_header}")
        return ", ".join(parts)

    def identify(self, *, bearer: str | None, proxy_role: str | None) -> Principal:
        """The caller behind a bearer token and/or a proxy header value (`AuthError` 401)."""
        if bearer is not None:
            return self._by_token(bearer.strip().encode())
        if self.proxy_header and proxy_role is not None:
            role = {"viewer": Role.VIEWER, "operator": Role.OPERATOR}.get(
                proxy_role.strip().lower()
            )
            if role is None:
                raise AuthError(403, "the proxy sent an unknown role; expected viewer or operator")
            return Principal(role, "proxy")
        return Principal(Role.ANONYMOUS, "anonymous")

    def authorize(self, principal: Principal, needed: Role) -> None:
        """Raise `AuthError` unless ``principal`` may act with the ``needed`` role."""
        if principal.role >= needed or (needed is Role.VIEWER and self.open_reads):
            return
        if principal.role is Role.ANONYMOUS:
            if needed is Role.OPERATOR and self.open_reads:
                raise AuthError(
                    401,
                    "this action needs the operator role, and no operator credentials are "
                    "configured: set api.operator_tokens (FORESCALE_API__OPERATOR_TOKENS) or "
                    "api.trusted_proxy_header",
                )
            raise AuthError(
                401, f"authentication required ({needed.label} role): send a bearer token"
            )
        raise AuthError(
            403, f"this action needs the {needed.label} role; you are {principal.role.label}"
        )

    def _by_token(self, given: bytes) -> Principal:
        # Compare with every token (no early exit), so timing does not reveal which one matched.
        match: Principal | None = None
        for role, tokens in ((Role.OPERATOR, self._operators), (Role.VIEWER, self._viewers)):
            for index, token in enumerate(tokens, start=1):
                if hmac.compare_digest(given, token) and match is None:
                    match = Principal(role, f"{role.label} token #{index}")
        if match is None:
            raise AuthError(401, "the bearer token is not valid")
        return match
