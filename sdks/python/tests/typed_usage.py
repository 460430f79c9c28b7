"""What a type checker sees of both clients (checked by test_typing.py with mypy;
never run)."""

from typing import AsyncIterator, Iterator, List

from typing_extensions import assert_type

from hookwire import AsyncHookwire, Hookwire
from hookwire.models import Delivery, Event, EventDetail, EventType, Published, Requeued, Webhook


def sync_client(hw: Hookwire) -> None:
    assert_type(hw.webhooks.create("https://example.com", ["a.b"]), Webhook)
    assert_type(hw.publish("a.b", {}), Published)
    assert_type(hw.webhooks.deliveries("wh_1"), Iterator[Delivery])
    assert_type(hw.events.get("evt_1"), EventDetail)
    assert_type(hw.event_types.list(), List[EventType])
    assert_type(hw.deliveries.retry_many("2026-01-01T00:00:00Z"), Requeued)


async def async_client(hw: AsyncHookwire) -> None:
    assert_type(await hw.webhooks.create("https://example.com", ["a.b"]), Webhook)
    assert_type(await hw.publish("a.b", {}), Published)
    assert_type(hw.events.list(), AsyncIterator[Event])
    assert_type(await hw.events.get("evt_1"), EventDetail)
    assert_type(await hw.deliveries.retry_many("2026-01-01T00:00:00Z"), Requeued)
