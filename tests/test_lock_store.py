"""The atomic Redis lock store against the real Redis (127.0.0.1:6379): two stores
(two Rasa servers) handing out tickets for one conversation from many threads."""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.dialogue.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.redis
REDIS_DB = 3


@pytest.fixture()
def stores() -> Iterator[list[AtomicRedisLockStore]]:
    config = EndpointConfig(url="127.0.0.1", type="bot.dialogue.lock_store.AtomicRedisLockStore",
                            port=6379, db=REDIS_DB, key_prefix=f"locktest{secrets.token_hex(4)}")
    made = [AtomicRedisLockStore(config), AtomicRedisLockStore(config)]
    made[0].red.ping()
    yield made
    for key in made[0].red.scan_iter(made[0].key_prefix + "*"):
        made[0].red.delete(key)


def test_tickets_are_unique_under_contention(stores: list[AtomicRedisLockStore]) -> None:
    conversation = "conversation-1"

    def issue(index: int) -> int:
        return stores[index % 2].issue_ticket(conversation, lock_lifetime=60)

    with ThreadPoolExecutor(8) as pool:
        tickets = list(pool.map(issue, range(200)))
    assert sorted(tickets) == list(range(200))
    lock = stores[1].get_lock(conversation)
    assert lock is not None and lock.now_serving == 0 and lock.last_issued == 199


def test_the_last_ticket_served_removes_the_lock(stores: list[AtomicRedisLockStore]) -> None:
    first = stores[0].issue_ticket("conversation-2")
    second = stores[1].issue_ticket("conversation-2")
    stores[0].cleanup("conversation-2", first)
    lock = stores[1].get_lock("conversation-2")
    assert lock is not None and not lock.is_locked(second)
    stores[1].cleanup("conversation-2", second)
    assert stores[0].get_lock("conversation-2") is None


def test_lock_serializes_two_holders(stores: list[AtomicRedisLockStore]) -> None:
    order: list[str] = []

    async def hold(store: AtomicRedisLockStore, name: str) -> None:
        async with store.lock("conversation-3", wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    async def both() -> None:
        await asyncio.gather(hold(stores[0], "a"), hold(stores[1], "b"))

    asyncio.run(both())
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
