"""The two clients: :class:`Hookwire` (blocking) and :class:`AsyncHookwire`.

Both expose the same resources (``tenants``, ``keys``, ``portal_sessions``, ``event_types``,
``webhooks``, ``events``, ``deliveries``, ``stats``) with the same methods; the
async client's calls are awaited and its lists iterated with ``async for``.
``publish`` is also on the client itself, being the call most code makes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

import httpx

from ._transport import AsyncTransport, SyncTransport, _Policy
from .models import Published
from .resources import (
    RESOURCES,
    AuditLog,
    Deliveries,
    Events,
    EventTypes,
    Keys,
    OperationalWebhooks,
    PortalSessions,
    Stats,
    Tenants,
    Webhooks,
)

if TYPE_CHECKING:
    from ._async_types import (
        AsyncAuditLog,
        AsyncDeliveries,
        AsyncEvents,
        AsyncEventTypes,
        AsyncKeys,
        AsyncOperationalWebhooks,
        AsyncPortalSessions,
        AsyncStats,
        AsyncTenants,
        AsyncWebhooks,
    )


def _attach(client: Any, transport: Any) -> None:
    for name, resource in RESOURCES.items():
        setattr(client, name, resource(transport))


class Hookwire:
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
        _attach(self, self._transport)

    tenants: Tenants
    keys: Keys
    portal_sessions: PortalSessions
    event_types: EventTypes
    webhooks: Webhooks
    events: Events
    deliveries: Deliveries
    stats: Stats
    audit_log: AuditLog
    operational_webhooks: OperationalWebhooks

    def publish(
        self,
        type: str,
        data: Mapping[str, Any],
        *,
        channel: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        ordering_key: Optional[str] = None,
    ) -> Published:
        """Same as ``events.publish``."""
        return self.events.publish(
            type, data, channel=channel, idempotency_key=idempotency_key, ordering_key=ordering_key
        )

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "Hookwire":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncHookwire:
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
        _attach(self, self._transport)

    tenants: "AsyncTenants"
    keys: "AsyncKeys"
    portal_sessions: "AsyncPortalSessions"
    event_types: "AsyncEventTypes"
    webhooks: "AsyncWebhooks"
    events: "AsyncEvents"
    deliveries: "AsyncDeliveries"
    stats: "AsyncStats"
    audit_log: "AsyncAuditLog"
    operational_webhooks: "AsyncOperationalWebhooks"

    async def publish(
        self,
        type: str,
        data: Mapping[str, Any],
        *,
        channel: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        ordering_key: Optional[str] = None,
    ) -> Published:
        """Same as ``events.publish``."""
        return await self.events.publish(
            type, data, channel=channel, idempotency_key=idempotency_key, ordering_key=ordering_key
        )

    async def aclose(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> "AsyncHookwire":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
