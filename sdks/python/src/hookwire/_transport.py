"""Sending one call: authentication, retries with backoff, errors, pages.

Two transports, one over ``httpx.Client`` and one over ``httpx.AsyncClient``, share
every decision (:class:`_Policy`): what to retry, how long to wait, how to turn an
answer into a value or a :class:`HookwireError`. The resources in ``resources.py``
describe calls as :class:`Call` values and never touch HTTP themselves, so the
sync and async clients cannot drift apart.

Retried: 429 (always: the server refused before doing anything) and, when the
call is safe to repeat, 5xx answers and lost connections. A call is safe to repeat
when its method is idempotent or it carries an ``Idempotency-Key`` (a publish).
A connection that was never made is retried for every call. The wait honours
``Retry-After``; otherwise it doubles from 0.5 s (capped at 8 s) with jitter.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Dict, Iterator, Optional

import httpx

from .errors import HookwireConnectionError, HookwireError, parse_retry_after

_IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "PATCH"}
_RETRY_STATUS = {500, 502, 503, 504}
#: Longest wait between two tries, whatever ``Retry-After`` says.
_MAX_WAIT = 60.0


@dataclass
class Call:
    """One API call, described without sending it."""

    method: str
    path: str
    params: Dict[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: Dict[str, str] = field(default_factory=dict)

    def safe_to_repeat(self) -> bool:
        return self.method in _IDEMPOTENT or "Idempotency-Key" in self.headers

    def query(self) -> Dict[str, Any]:
        """The query parameters that are set, booleans as ``true``/``false``."""
        out: Dict[str, Any] = {}
        for key, value in self.params.items():
            if value is None:
                continue
            out[key] = ("true" if value else "false") if isinstance(value, bool) else value
        return out


class _Policy:
    """What every transport decides the same way."""

    def __init__(self, base_url: str, api_key: str, max_retries: int, timeout: float) -> None:
        if not base_url:
            raise ValueError("base_url is required, e.g. http://127.0.0.1:8080")
        if not api_key:
            raise ValueError("api_key is required (a tenant key or the admin token)")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": "hookwire-python/0.1.0",
            "Accept": "application/json",
        }
        self.max_retries = max_retries
        self.timeout = timeout

    def wait(self, try_number: int, retry_after: Optional[float]) -> float:
        """Seconds before try ``try_number + 1``."""
        if retry_after is not None:
            return float(min(retry_after, _MAX_WAIT))
        backoff = min(0.5 * float(2**try_number), 8.0)
        return backoff * random.uniform(0.8, 1.2)

    def retry_after_answer(self, call: Call, response: httpx.Response, try_number: int) -> Optional[float]:
        """The wait before trying again, or ``None`` to return this answer."""
        if try_number >= self.max_retries:
            return None
        if response.status_code == 429 or (
            response.status_code in _RETRY_STATUS and call.safe_to_repeat()
        ):
            return self.wait(try_number, parse_retry_after(response.headers.get("retry-after")))
        return None

    def retry_after_failure(self, call: Call, error: httpx.TransportError, try_number: int) -> Optional[float]:
        """The wait before trying again after no answer, or ``None`` to give up."""
        if try_number >= self.max_retries:
            return None
        if isinstance(error, httpx.ConnectError) or call.safe_to_repeat():
            return self.wait(try_number, None)
        return None

    @staticmethod
    def result(response: httpx.Response) -> Any:
        """The answer's JSON (``None`` for 204), or the error it describes."""
        if response.is_success:
            if response.status_code == 204 or not response.content:
                return None
            return response.json()
        try:
            body = response.json()
        except ValueError:
            body = None
        raise HookwireError.from_response(response.status_code, response.headers, body)

    @staticmethod
    def gave_up(error: httpx.TransportError) -> HookwireConnectionError:
        return HookwireConnectionError(f"{type(error).__name__}: {error}")


def _page_call(call: Call, cursor: Optional[str]) -> Call:
    params = dict(call.params)
    if cursor is not None:
        params["cursor"] = cursor
    return Call(call.method, call.path, params, call.json, dict(call.headers))


class SyncTransport:
    """Blocking calls over one ``httpx.Client`` (connection pooling included)."""

    def __init__(self, policy: _Policy, client: Optional[httpx.Client] = None) -> None:
        self.policy = policy
        self.client = client or httpx.Client(timeout=policy.timeout)

    def call(self, call: Call) -> Any:
        try_number = 0
        while True:
            try:
                response = self.client.request(
                    call.method,
                    self.policy.base_url + call.path,
                    params=call.query(),
                    json=call.json,
                    headers={**self.policy.headers, **call.headers},
                )
            except httpx.TransportError as error:
                wait = self.policy.retry_after_failure(call, error, try_number)
                if wait is None:
                    raise self.policy.gave_up(error) from error
            else:
                wait = self.policy.retry_after_answer(call, response, try_number)
                if wait is None:
                    return self.policy.result(response)
            time.sleep(wait)
            try_number += 1

    def pages(self, call: Call) -> Iterator[Any]:
        """Every item of a list, following ``next_cursor`` page by page."""
        cursor: Optional[str] = None
        while True:
            page = self.call(_page_call(call, cursor))
            yield from page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def close(self) -> None:
        self.client.close()


class AsyncTransport:
    """The same calls over one ``httpx.AsyncClient``."""

    def __init__(self, policy: _Policy, client: Optional[httpx.AsyncClient] = None) -> None:
        self.policy = policy
        self.client = client or httpx.AsyncClient(timeout=policy.timeout)

    async def call(self, call: Call) -> Any:
        try_number = 0
        while True:
            try:
                response = await self.client.request(
                    call.method,
                    self.policy.base_url + call.path,
                    params=call.query(),
                    json=call.json,
                    headers={**self.policy.headers, **call.headers},
                )
            except httpx.TransportError as error:
                wait = self.policy.retry_after_failure(call, error, try_number)
                if wait is None:
                    raise self.policy.gave_up(error) from error
            else:
                wait = self.policy.retry_after_answer(call, response, try_number)
                if wait is None:
                    return self.policy.result(response)
            await asyncio.sleep(wait)
            try_number += 1

    async def pages(self, call: Call) -> AsyncIterator[Any]:
        """Every item of a list, following ``next_cursor`` page by page."""
        cursor: Optional[str] = None
        while True:
            page = await self.call(_page_call(call, cursor))
            for item in page["data"]:
                yield item
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def close(self) -> None:
        await self.client.aclose()

