"""Every API operation, described once for both clients.

A resource method builds a :class:`Call` and hands it to its transport: the sync
transport returns the answer, the async one a coroutine to await; list methods
return an iterator (``for``) or an async iterator (``async for``) over every item,
fetching pages as they are consumed. Each method is tagged with the OpenAPI
``operationId`` it implements; the test suite checks that every operation of the
server's document has exactly one method.

Optional arguments left out are not sent. On ``update`` (PATCH), ``None`` is sent
as ``null`` (it clears the field) and only arguments left at ``UNSET`` are omitted.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, TypeVar, Union
from urllib.parse import quote

from ._transport import Call
from .models import (
    AuditEntry,
    CreatedKey,
    CreatedTenant,
    Delivery,
    DeliveryDetail,
    Event,
    EventDetail,
    EventType,
    Key,
    NewSecret,
    PortalLink,
    Published,
    Replayed,
    Requeued,
    Tenant,
    TenantStats,
    TestResult,
    Webhook,
    WebhookStats,
)

F = TypeVar("F", bound=Callable[..., Any])
Time = Union[str, datetime]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: "Leave this field as it is" in :meth:`Webhooks.update`.
UNSET: Any = _Unset()


def operation(operation_id: str) -> Callable[[F], F]:
    """Tag a method with the OpenAPI operation it implements."""

    def tag(method: F) -> F:
        method.__operation__ = operation_id  # type: ignore[attr-defined]
        return method

    return tag


def _id(value: str) -> str:
    return quote(value, safe="")


def _time(value: Optional[Time]) -> Optional[str]:
    """RFC 3339, UTC for naive datetimes."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def _body(**fields: Any) -> Dict[str, Any]:
    """The fields that were given (``None`` = not given)."""
    return {key: value for key, value in fields.items() if value is not None}


def _draft(arguments: Mapping[str, Any]) -> Dict[str, Any]:
    """A webhook draft from a method's arguments (its ``locals()``): the fields
    given, as JSON values. The method's keyword arguments are the draft's fields
    (the drift test holds them to the schema), so no second list is kept here."""
    body = {}
    for field, value in arguments.items():
        if field in ("self", "webhook_id") or value is None:
            continue
        if isinstance(value, Mapping):
            value = dict(value)
        elif field in ("events", "channels"):
            value = list(value)
        body[field] = value
    return body


class _Resource:
    def __init__(self, transport: Any) -> None:
        self._t = transport


class Tenants(_Resource):
    """Accounts (admin token only): one per customer of your application."""

    @operation("create_tenant")
    def create(self, name: str) -> CreatedTenant:
        """A new tenant and its first API key (``api_key`` is shown only here)."""
        return self._t.call(Call("POST", "/tenants", json={"name": name}))

    @operation("list_tenants")
    def list(self, *, limit: Optional[int] = None) -> Iterator[Tenant]:
        return self._t.pages(Call("GET", "/tenants", {"limit": limit}))

    @operation("get_tenant")
    def get(self, tenant_id: str) -> Tenant:
        return self._t.call(Call("GET", f"/tenants/{_id(tenant_id)}"))

    @operation("delete_tenant")
    def delete(self, tenant_id: str) -> None:
        """Delete the tenant and everything it owns."""
        return self._t.call(Call("DELETE", f"/tenants/{_id(tenant_id)}"))

    @operation("create_tenant_key")
    def create_key(
        self,
        tenant_id: str,
        *,
        name: Optional[str] = None,
        scopes: Optional[Sequence[str]] = None,
        expires_at: Optional[Time] = None,
    ) -> CreatedKey:
        """A new API key for the tenant; ``scopes`` default to all three."""
        body = _body(name=name, scopes=list(scopes) if scopes is not None else None, expires_at=_time(expires_at))
        return self._t.call(Call("POST", f"/tenants/{_id(tenant_id)}/keys", json=body))

    @operation("list_tenant_keys")
    def list_keys(self, tenant_id: str) -> Iterator[Key]:
        return self._t.pages(Call("GET", f"/tenants/{_id(tenant_id)}/keys"))

    @operation("revoke_tenant_key")
    def revoke_key(self, tenant_id: str, key_id: str) -> None:
        """Revoke a key: every node refuses it within seconds."""
        return self._t.call(Call("DELETE", f"/tenants/{_id(tenant_id)}/keys/{_id(key_id)}"))

    @operation("create_tenant_portal_session")
    def create_portal_session(
        self, tenant_id: str, *, expires_in_seconds: Optional[int] = None, read_only: Optional[bool] = None
    ) -> PortalLink:
        """A link that opens the dashboard as this tenant alone (default: one hour, may change things)."""
        body = _body(expires_in_seconds=expires_in_seconds, read_only=read_only)
        return self._t.call(Call("POST", f"/tenants/{_id(tenant_id)}/portal-sessions", json=body))


class Keys(_Resource):
    """The calling tenant's own API keys."""

    @operation("create_key")
    def create(
        self,
        *,
        name: Optional[str] = None,
        scopes: Optional[Sequence[str]] = None,
        expires_at: Optional[Time] = None,
    ) -> CreatedKey:
        body = _body(name=name, scopes=list(scopes) if scopes is not None else None, expires_at=_time(expires_at))
        return self._t.call(Call("POST", "/keys", json=body))

    @operation("list_keys")
    def list(self) -> Iterator[Key]:
        return self._t.pages(Call("GET", "/keys"))

    @operation("revoke_key")
    def revoke(self, key_id: str) -> None:
        return self._t.call(Call("DELETE", f"/keys/{_id(key_id)}"))


class PortalSessions(_Resource):
    """Dashboard links for the calling tenant's own customers."""

    @operation("create_portal_session")
    def create(self, *, expires_in_seconds: Optional[int] = None, read_only: Optional[bool] = None) -> PortalLink:
        """A link that opens the dashboard as the calling tenant alone."""
        body = _body(expires_in_seconds=expires_in_seconds, read_only=read_only)
        return self._t.call(Call("POST", "/portal-sessions", json=body))


class EventTypes(_Resource):
    """The catalog of event types (global; adding one needs the admin token)."""

    @operation("list_event_types")
    def list(self) -> List[EventType]:
        return self._t.call(Call("GET", "/event-types"))

    @operation("create_event_type")
    def create(self, name: str, description: Optional[str] = None) -> EventType:
        return self._t.call(Call("POST", "/event-types", json=_body(name=name, description=description)))


class Webhooks(_Resource):
    """The tenant's webhook subscriptions and what happened to them."""

    @operation("create_webhook")
    def create(
        self,
        url: str,
        events: Sequence[str],
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        is_active: Optional[bool] = None,
        channels: Optional[Sequence[str]] = None,
        filter: Optional[Mapping[str, Any]] = None,
        ordering: Optional[str] = None,
        timeout_seconds: Optional[int] = None,
        retry: Optional[Mapping[str, int]] = None,
        headers: Optional[Mapping[str, str]] = None,
        rate_limit_per_second: Optional[int] = None,
        signature_scheme: Optional[str] = None,
        secret: Optional[str] = None,
        client_certificate: Optional[Mapping[str, str]] = None,
    ) -> Webhook:
        """Register a webhook; the answer holds its ``secret`` (only here)."""
        body = _draft(locals())
        return self._t.call(Call("POST", "/webhooks", json=body))

    @operation("list_webhooks")
    def list(self, *, event: Optional[str] = None, is_active: Optional[bool] = None, limit: Optional[int] = None) -> Iterator[Webhook]:
        return self._t.pages(Call("GET", "/webhooks", {"event": event, "is_active": is_active, "limit": limit}))

    @operation("get_webhook")
    def get(self, webhook_id: str) -> Webhook:
        return self._t.call(Call("GET", f"/webhooks/{_id(webhook_id)}"))

    @operation("patch_webhook")
    def update(
        self,
        webhook_id: str,
        *,
        url: Any = UNSET,
        events: Any = UNSET,
        name: Any = UNSET,
        description: Any = UNSET,
        is_active: Any = UNSET,
        channels: Any = UNSET,
        filter: Any = UNSET,
        ordering: Any = UNSET,
        timeout_seconds: Any = UNSET,
        retry: Any = UNSET,
        headers: Any = UNSET,
        rate_limit_per_second: Any = UNSET,
        signature_scheme: Any = UNSET,
        secret: Any = UNSET,
        client_certificate: Any = UNSET,
    ) -> Webhook:
        """Change the fields given (PATCH); the others stay."""
        fields = dict(
            url=url,
            events=events,
            name=name,
            description=description,
            is_active=is_active,
            channels=channels,
            filter=filter,
            ordering=ordering,
            timeout_seconds=timeout_seconds,
            retry=retry,
            headers=headers,
            rate_limit_per_second=rate_limit_per_second,
            signature_scheme=signature_scheme,
            secret=secret,
            client_certificate=client_certificate,
        )
        body = {key: value for key, value in fields.items() if value is not UNSET}
        return self._t.call(Call("PATCH", f"/webhooks/{_id(webhook_id)}", json=body))

    @operation("put_webhook")
    def replace(
        self,
        webhook_id: str,
        url: str,
        events: Sequence[str],
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        is_active: Optional[bool] = None,
        channels: Optional[Sequence[str]] = None,
        filter: Optional[Mapping[str, Any]] = None,
        ordering: Optional[str] = None,
        timeout_seconds: Optional[int] = None,
        retry: Optional[Mapping[str, int]] = None,
        headers: Optional[Mapping[str, str]] = None,
        rate_limit_per_second: Optional[int] = None,
        signature_scheme: Optional[str] = None,
        secret: Optional[str] = None,
        client_certificate: Optional[Mapping[str, str]] = None,
    ) -> Webhook:
        """Replace every writable field (PUT); those left out take their defaults."""
        body = _draft(locals())
        return self._t.call(Call("PUT", f"/webhooks/{_id(webhook_id)}", json=body))

    @operation("delete_webhook")
    def delete(self, webhook_id: str) -> None:
        """Delete it; its pending deliveries are cancelled."""
        return self._t.call(Call("DELETE", f"/webhooks/{_id(webhook_id)}"))

    @operation("test_webhook")
    def test(self, webhook_id: str) -> TestResult:
        """Deliver a ``webhook.test`` event now (one attempt) and say how it went."""
        return self._t.call(Call("POST", f"/webhooks/{_id(webhook_id)}/test"))

    @operation("rotate_secret")
    def rotate_secret(self, webhook_id: str, secret: Optional[str] = None) -> NewSecret:
        """A new secret (given or generated); the old one signs alongside for 24 h."""
        return self._t.call(Call("POST", f"/webhooks/{_id(webhook_id)}/rotate-secret", json=_body(secret=secret)))

    @operation("recover")
    def recover(self, webhook_id: str, since: Time) -> Requeued:
        """Queue again its deliveries that failed since ``since``."""
        return self._t.call(Call("POST", f"/webhooks/{_id(webhook_id)}/recover", json={"since": _time(since)}))

    @operation("list_webhook_deliveries")
    def deliveries(
        self,
        webhook_id: str,
        *,
        status: Optional[str] = None,
        event_type: Optional[str] = None,
        since: Optional[Time] = None,
        until: Optional[Time] = None,
        limit: Optional[int] = None,
    ) -> Iterator[Delivery]:
        """Its deliveries, newest first."""
        params = {"status": status, "event_type": event_type, "since": _time(since), "until": _time(until), "limit": limit}
        return self._t.pages(Call("GET", f"/webhooks/{_id(webhook_id)}/deliveries", params))

    @operation("webhook_stats")
    def stats(self, webhook_id: str, *, window: Optional[str] = None) -> WebhookStats:
        """Counts and success rate over ``window`` (``24h`` by default, e.g. ``7d``)."""
        return self._t.call(Call("GET", f"/webhooks/{_id(webhook_id)}/stats", {"window": window}))


class Events(_Resource):
    """Publishing, and the events published."""

    @operation("publish")
    def publish(
        self,
        type: str,
        data: Mapping[str, Any],
        *,
        channel: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        ordering_key: Optional[str] = None,
    ) -> Published:
        """Publish an event; hookwire delivers it to every matching webhook.

        ``idempotency_key`` makes a repeat within 24 h return the first event
        instead of a new one; when left out a random one is made, so the client's
        own retries never publish twice. ``ordering_key``: on webhooks with
        ``ordering="fifo"``, events with the same key are delivered one at a
        time in publish order.
        """
        key = idempotency_key or f"py_{uuid.uuid4().hex}"
        body = _body(type=type, data=dict(data), channel=channel, ordering_key=ordering_key)
        return self._t.call(Call("POST", "/events", json=body, headers={"Idempotency-Key": key}))

    @operation("list_events")
    def list(
        self,
        *,
        type: Optional[str] = None,
        channel: Optional[str] = None,
        since: Optional[Time] = None,
        until: Optional[Time] = None,
        limit: Optional[int] = None,
    ) -> Iterator[Event]:
        """Events, newest first."""
        params = {"type": type, "channel": channel, "since": _time(since), "until": _time(until), "limit": limit}
        return self._t.pages(Call("GET", "/events", params))

    @operation("get_event")
    def get(self, event_id: str) -> EventDetail:
        """One event with its deliveries."""
        return self._t.call(Call("GET", f"/events/{_id(event_id)}"))

    @operation("replay")
    def replay(self, event_id: str, *, webhook_id: Optional[str] = None) -> Replayed:
        """Deliver a stored event again to every matching webhook (or to one)."""
        return self._t.call(Call("POST", f"/events/{_id(event_id)}/replay", json=_body(webhook_id=webhook_id)))


class Deliveries(_Resource):
    """Single deliveries, and retrying many at once."""

    @operation("get_delivery")
    def get(self, delivery_id: str) -> DeliveryDetail:
        """One delivery with its attempts."""
        return self._t.call(Call("GET", f"/deliveries/{_id(delivery_id)}"))

    @operation("retry_delivery")
    def retry(self, delivery_id: str) -> None:
        """Attempt it again now."""
        return self._t.call(Call("POST", f"/deliveries/{_id(delivery_id)}/retry"))

    @operation("retry_deliveries")
    def retry_many(
        self,
        since: Time,
        *,
        until: Optional[Time] = None,
        status: Optional[str] = None,
        webhook_id: Optional[str] = None,
        event_type: Optional[str] = None,
    ) -> Requeued:
        """Queue again every delivery that matches (``failed`` ones by default), paced by the server."""
        body = _body(since=_time(since), until=_time(until), status=status, webhook_id=webhook_id, event_type=event_type)
        return self._t.call(Call("POST", "/deliveries/retry", json=body))


class OperationalWebhooks(_Resource):
    """The operator's endpoints for hookwire's own events about every tenant (admin token)."""

    @operation("create_operational_webhook")
    def create(
        self,
        url: str,
        events: Sequence[str],
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        is_active: Optional[bool] = None,
        channels: Optional[Sequence[str]] = None,
        filter: Optional[Mapping[str, Any]] = None,
        ordering: Optional[str] = None,
        timeout_seconds: Optional[int] = None,
        retry: Optional[Mapping[str, int]] = None,
        headers: Optional[Mapping[str, str]] = None,
        rate_limit_per_second: Optional[int] = None,
        signature_scheme: Optional[str] = None,
        secret: Optional[str] = None,
        client_certificate: Optional[Mapping[str, str]] = None,
    ) -> Webhook:
        """Register one (``events`` from the ``hookwire.*`` types); the answer holds its ``secret``."""
        return self._t.call(Call("POST", "/operational-webhooks", json=_draft(locals())))

    @operation("list_operational_webhooks")
    def list(self, *, limit: Optional[int] = None) -> Iterator[Webhook]:
        return self._t.pages(Call("GET", "/operational-webhooks", {"limit": limit}))

    @operation("delete_operational_webhook")
    def delete(self, webhook_id: str) -> None:
        return self._t.call(Call("DELETE", f"/operational-webhooks/{_id(webhook_id)}"))


class AuditLog(_Resource):
    """Who changed what, when: every tenant's entries for the admin, its own for a tenant key."""

    @operation("audit_log")
    def list(
        self, *, action: Optional[str] = None, since: Optional[Time] = None, limit: Optional[int] = None
    ) -> Iterator[AuditEntry]:
        """Entries, newest first; ``action`` like ``webhook.update``."""
        return self._t.pages(Call("GET", "/audit-log", {"action": action, "since": _time(since), "limit": limit}))


class Stats(_Resource):
    @operation("tenant_stats")
    def get(self, *, window: Optional[str] = None) -> TenantStats:
        """Tenant-wide counts over ``window`` (``24h`` by default)."""
        return self._t.call(Call("GET", "/stats", {"window": window}))


#: The resources of a client, by attribute name.
RESOURCES: Dict[str, type] = {
    "tenants": Tenants,
    "keys": Keys,
    "portal_sessions": PortalSessions,
    "event_types": EventTypes,
    "webhooks": Webhooks,
    "events": Events,
    "deliveries": Deliveries,
    "stats": Stats,
    "audit_log": AuditLog,
    "operational_webhooks": OperationalWebhooks,
}


def operations() -> List[str]:
    """Every ``operationId`` a method implements (for the drift test)."""
    found = []
    for resource in RESOURCES.values():
        for attr in vars(resource).values():
            tag = getattr(attr, "__operation__", None)
            if tag:
                found.append(tag)
    return found
