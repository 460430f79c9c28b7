"""The async client makes the same calls (``await``, ``async for``)."""

import asyncio

import pytest

from hookwire import AsyncHookwire, HookwireError, verify


def test_async_register_publish_list_and_verify(server, tenant, receiver) -> None:
    async def scenario() -> None:
        async with AsyncHookwire(server.base_url, tenant._transport.policy.headers["Authorization"][7:]) as client:
            webhook = await client.webhooks.create(receiver.url, ["order.created"])
            published = await asyncio.gather(*(client.publish("order.created", {"n": n}) for n in range(5)))
            ids = sorted(p["id"] for p in published)
            listed = sorted([e["id"] async for e in client.events.list(limit=2)])
            assert listed == ids
            bodies = [verify(r.body, r.headers, webhook["secret"]) for r in (receiver.next() for _ in range(5))]
            assert sorted(b["id"] for b in bodies) == ids
            with pytest.raises(HookwireError) as missing:
                await client.webhooks.get("wh_doesnotexist")
            assert missing.value.is_not_found()

    asyncio.run(scenario())
