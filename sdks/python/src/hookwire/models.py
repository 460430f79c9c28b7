"""The shapes of the server's answers, as typed dictionaries.

Answers stay plain ``dict`` objects (what ``json`` gives), so a field the server
adds later reaches the caller untouched; these classes only tell a type checker
what is there. Each mirrors one schema of the server's OpenAPI document
(``SCHEMAS`` maps them), and the test suite fails when a field differs — keys,
and which of them are always present.
"""

import sys
from typing import Any, Dict, List, Literal, Optional

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - older interpreters
    from typing_extensions import NotRequired, TypedDict

#: Where a delivery stands.
DeliveryStatus = Literal["pending", "retrying", "delivered", "failed"]
#: What an API key may do; every route needs exactly one.
Scope = Literal["publish", "read", "manage"]


class Tenant(TypedDict):
    id: str
    name: str
    created_at: str


class CreatedTenant(TypedDict):
    """A new tenant with its first API key (shown only here)."""

    id: str
    name: str
    created_at: str
    api_key: str


class Key(TypedDict):
    """An API key without its secret part."""

    id: str
    name: NotRequired[Optional[str]]
    prefix: str
    scopes: List[Scope]
    created_at: str
    last_used_at: NotRequired[Optional[str]]
    expires_at: NotRequired[Optional[str]]


class CreatedKey(TypedDict):
    """A new API key; ``api_key`` is shown only here."""

    id: str
    api_key: str
    name: NotRequired[Optional[str]]
    scopes: List[Scope]
    expires_at: NotRequired[Optional[str]]
    created_at: str


class EventType(TypedDict):
    name: str
    description: NotRequired[str]


class RetryPolicy(TypedDict):
    max_attempts: int
    initial_delay_ms: int
    max_delay_ms: int


class Circuit(TypedDict):
    """A webhook's circuit breaker: ``open`` after ``circuit_failure_threshold``
    attempts in a row found the receiver down (its deliveries wait), ``half_open``
    when the next delivery goes as a probe; the times are None while closed."""

    state: Literal["closed", "open", "half_open"]
    opened_at: NotRequired[Optional[str]]
    next_probe_at: NotRequired[Optional[str]]


class Webhook(TypedDict):
    """A webhook subscription; ``secret`` only in the answer that created it."""

    id: str
    url: str
    events: List[str]
    name: NotRequired[Optional[str]]
    description: NotRequired[Optional[str]]
    is_active: bool
    channels: List[str]
    filter: NotRequired[Optional[Dict[str, Any]]]
    ordering: str
    timeout_seconds: int
    retry: RetryPolicy
    headers: Dict[str, str]
    rate_limit_per_second: NotRequired[Optional[int]]
    signature_scheme: str
    public_key: NotRequired[Optional[str]]
    has_secret: bool
    has_client_certificate: bool
    secret: NotRequired[Optional[str]]
    created_at: str
    updated_at: str
    disabled_reason: NotRequired[Optional[str]]
    circuit: Circuit


class Delivery(TypedDict):
    """One event to one webhook."""

    id: str
    event_id: str
    event_type: str
    webhook_id: str
    status: DeliveryStatus
    attempt_count: int
    created_at: str
    last_attempt_at: NotRequired[Optional[str]]
    next_attempt_at: NotRequired[Optional[str]]
    completed_at: NotRequired[Optional[str]]
    last_http_status: NotRequired[Optional[int]]
    last_error: NotRequired[Optional[str]]


class Attempt(TypedDict):
    """One HTTP request of a delivery."""

    id: str
    attempt_number: int
    started_at: str
    duration_ms: int
    http_status: NotRequired[Optional[int]]
    error: NotRequired[Optional[str]]
    error_kind: NotRequired[Optional[str]]
    request_headers: Dict[str, str]
    response_headers: Dict[str, str]
    response_body: NotRequired[Optional[str]]


class DeliveryDetail(Delivery):
    """A delivery with its attempts, oldest first."""

    attempts: List[Attempt]


class Event(TypedDict):
    id: str
    type: str
    channel: NotRequired[Optional[str]]
    data: Dict[str, Any]
    idempotency_key: NotRequired[Optional[str]]
    ordering_key: NotRequired[Optional[str]]
    created_at: str


class EventDetail(Event):
    """An event with its deliveries."""

    deliveries: List[Delivery]


class Published(TypedDict):
    """The 202 answer to a publish: the event and the deliveries it made."""

    id: str
    type: str
    created_at: str
    deliveries: List[Delivery]


class Replayed(TypedDict):
    deliveries: List[Delivery]


class Requeued(TypedDict):
    requeued: int


class TestResult(TypedDict):
    """The outcome of one test delivery, made while the call waited."""

    delivery_id: str
    status: DeliveryStatus
    http_status: NotRequired[Optional[int]]
    duration_ms: int
    response_body: NotRequired[Optional[str]]
    error: NotRequired[Optional[str]]


class NewSecret(TypedDict):
    secret: str


class PortalLink(TypedDict):
    """A link that opens the dashboard as one tenant; secret until it expires."""

    url: str
    expires_at: str


class WebhookStats(TypedDict):
    total: int
    delivered: int
    failed: int
    pending: int
    success_rate: NotRequired[Optional[float]]
    avg_duration_ms: NotRequired[Optional[float]]
    last_delivery_at: NotRequired[Optional[str]]


class FailingWebhook(TypedDict):
    webhook_id: str
    url: str
    failures: int


class TenantStats(TypedDict):
    total: int
    delivered: int
    failed: int
    success_rate: NotRequired[Optional[float]]
    retry_queue_size: int
    top_failing: List[FailingWebhook]


#: How the one who made a change had signed in.
ActorType = Literal["admin", "api_key", "portal"]


class Actor(TypedDict):
    """Who made a change; ``id`` is the key's or portal session's (null for the admin)."""

    type: ActorType
    id: NotRequired[Optional[str]]


class AuditEntry(TypedDict):
    """One change: who did what to which object, when. Never a secret."""

    id: str
    at: str
    actor: Actor
    action: str
    tenant_id: NotRequired[Optional[str]]
    target_id: NotRequired[Optional[str]]


#: Each class above and the OpenAPI schema it mirrors.
SCHEMAS: Dict[str, Any] = {
    "Tenant": Tenant,
    "CreatedTenant": CreatedTenant,
    "KeyView": Key,
    "CreatedKey": CreatedKey,
    "EventType": EventType,
    "RetryPolicy": RetryPolicy,
    "WebhookView": Webhook,
    "CircuitView": Circuit,
    "DeliveryView": Delivery,
    "AttemptView": Attempt,
    "DeliveryDetailView": DeliveryDetail,
    "EventView": Event,
    "EventDetailView": EventDetail,
    "Published": Published,
    "Replayed": Replayed,
    "Requeued": Requeued,
    "Recovered": Requeued,
    "TestResult": TestResult,
    "NewSecret": NewSecret,
    "PortalLink": PortalLink,
    "AuditEntryView": AuditEntry,
    "Actor": Actor,
    "WebhookStatsView": WebhookStats,
    "FailingWebhook": FailingWebhook,
    "TenantStatsView": TenantStats,
}
