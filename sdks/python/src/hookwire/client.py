"""The two clients: :class:`Hookwire` (blocking) and :class:`AsyncHookwire`.

Both expose the same resources (``tenants``, ``keys``, ``event_types``,
``webhooks``, ``events``, ``deliveries``, ``stats``) with the same methods; the
async client's calls are awaited and its lists iterated with ``async for``.
``publish`` is also on the client itself, being the call most code makes.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import httpx

from ._transport import AsyncTransport, SyncTransport, _Policy
from .resources import RESOURCES, Deliveries, Events, EventTypes, Keys, Stats, Tenants, Webhooks


class _Client:
    tenants: Tenants
    keys: Keys
    event_types: EventTypes
    webhooks: Webhooks
    events: Events
    deliveries: Deliveries
    stats: Stats

    def _attach(self, transport: Any) -> None:
        for name, resource in RESOURCES.items():
            setattr(self, name, resource(transport))

    def publish(
        self,
        type: str,
        data: Mapping[str, Any],
        *,
        channel: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Any:
        """Same as ``events.publish``."""
        return self.events.publish(type, data, channel=channel, idempotency_key=idempotency_key)


class Hookwire(_Client):
    """A blocking client.

    ``base_url`` is where ``hookwire serve`` listens (``http://127.0.0.1:8080``);
    ``api_key`` a tenant's key or the admin token. ``max_retries`` bounds the
    retries of one call (see the transport's rules), ``timeout`` is per request
    in seconds. ``http_client`` lets you bring a configured ``httpx.Client``
    (proxies, certificates); it is then yours to close.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_retries: int = 3,
        timeout: float = 30.0,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        self._transport = SyncTransport(_Policy(base_url, api_key, max_retries, timeout), http_client)
        self._attach(self._transport)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "Hookwire":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncHookwire(_Client):
    """The same client for ``asyncio``: ``await`` calls, ``async for`` lists."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_retries: int = 3,
        timeout: float = 30.0,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        self._transport = AsyncTransport(_Policy(base_url, api_key, max_retries, timeout), http_client)
        self._attach(self._transport)

    async def aclose(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> "AsyncHookwire":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
