"""The one error type the client raises, and the rate-limit state it carries.

Every failed call raises :class:`HookwireError`: an answer from the server that is
not a success (``status`` is its HTTP status, ``code`` its ``error`` field), or no
answer at all after the client's retries (:class:`HookwireConnectionError`,
``status`` is ``None``). Callers branch on the helpers (``is_not_found`` …) rather
than on numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional


@dataclass(frozen=True)
class RateLimit:
    """The ``X-RateLimit-*`` headers of a response: the caller's budget per key."""

    limit: int
    remaining: int
    #: Seconds until the bucket is full again.
    reset: int

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Optional["RateLimit"]:
        """The headers' values, or ``None`` when the server sent none (limit off)."""
        try:
            return cls(
                limit=int(headers["x-ratelimit-limit"]),
                remaining=int(headers["x-ratelimit-remaining"]),
                reset=int(headers["x-ratelimit-reset"]),
            )
        except (KeyError, ValueError):
            return None


class HookwireError(Exception):
    """A call that did not succeed.

    ``status``: the HTTP status (``None`` when no answer came), ``code``: the
    server's snake_case ``error`` (``not_found``, ``invalid_field``,
    ``rate_limited`` …), ``message``: its human text, ``field``: the request field
    it names, if any, ``rate_limit`` and ``retry_after`` (seconds) from the headers.
    """

    def __init__(
        self,
        status: Optional[int],
        code: str,
        message: str,
        *,
        field: Optional[str] = None,
        rate_limit: Optional[RateLimit] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.rate_limit = rate_limit
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, status: int, headers: Mapping[str, str], body: Any) -> "HookwireError":
        """Read the server's ``{"error", "message", "field"?}`` body; tolerate others."""
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            code = body["error"]
            message = str(body.get("message", ""))
            field = body.get("field")
        else:
            code, message, field = "http_error", f"HTTP {status}", None
        return cls(
            status,
            code,
            message,
            field=field if isinstance(field, str) else None,
            rate_limit=RateLimit.from_headers(headers),
            retry_after=parse_retry_after(headers.get("retry-after")),
        )

    def is_unauthorized(self) -> bool:
        """401: the key is missing, unknown, revoked or expired."""
        return self.status == 401

    def is_forbidden(self) -> bool:
        """403: the key lacks the scope the call needs (``insufficient_scope``)."""
        return self.status == 403

    def is_not_found(self) -> bool:
        """404: no such object for this key (another tenant's objects are 404 too)."""
        return self.status == 404

    def is_conflict(self) -> bool:
        """409: it already exists."""
        return self.status == 409

    def is_too_large(self) -> bool:
        """413: the body is over the server's ``max_body_bytes``."""
        return self.status == 413

    def is_invalid(self) -> bool:
        """422: a field is invalid; ``field`` names it."""
        return self.status == 422

    def is_rate_limited(self) -> bool:
        """429: out of budget; ``retry_after`` says for how long."""
        return self.status == 429


class HookwireConnectionError(HookwireError):
    """No answer from the server (refused, reset, timed out) after every retry."""

    def __init__(self, message: str) -> None:
        super().__init__(None, "connection_error", message)


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """``Retry-After`` in seconds (hookwire sends delta-seconds; dates are ignored)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
