"""Rasa's Redis lock store, with every change of a lock made atomically.

Rasa 3.6's RedisLockStore issues a ticket by reading the lock, adding the
ticket and writing the lock back: two Rasa servers taking a message of the same
conversation at the same moment both read an empty lock, both get ticket 0 and
process the two messages at once, and the tracker store keeps only one of them
(measured: tests/test_production.py). Here each change is a Redis transaction
that is retried when another server changed the lock in between (WATCH/MULTI),
and a lock is deleted in the same transaction that removes its last ticket.
The production profile's endpoints name this class as the lock store's `type`
(bot/dialogue/endpoints.py).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore (the same keys, `key_prefix` + conversation id, and
    the same TicketLock JSON) whose every change of a lock is one Redis
    transaction. Invariants: no two tickets of a conversation get the same
    number, whichever servers issue them; a lock without tickets is not stored."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        """From endpoints.yml's `lock_store`: `url` is the Redis host; `port`, `db`,
        `username`, `password`, `key_prefix` (alphanumeric, Rasa's rule), `use_ssl`
        and its certificate files, `socket_timeout` (seconds) as Rasa's
        RedisLockStore takes them."""
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T],
                create: bool = False) -> Optional[T]:
        """Applies `change` to the stored lock in one transaction; a lock left without
        tickets is deleted. Without a stored lock: a new one if `create`, else None."""
        key = self.key_prefix + conversation_id

        def apply(pipe: Any) -> Optional[T]:  # redis-py's Pipeline
            stored = pipe.get(key)
            if stored is None and not create:
                return None
            lock = TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
            result = change(lock)
            pipe.multi()
            if lock.tickets:
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)
            return result

        return self.red.transaction(apply, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket number for the conversation (Rasa's TicketLock rule: one more
        than the last ticket still held, 0 for a new lock), valid for
        `lock_lifetime` seconds; the lock is created if none is stored. Raises
        LockError, as Rasa's store, when Redis fails."""
        try:
            ticket = self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime),
                                  create=True)
        except Exception as error:  # as Rasa's own: the message fails with a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        assert ticket is not None
        return ticket

    def update_lock(self, conversation_id: str) -> None:
        """Drop the conversation's expired tickets (nothing if no lock is stored)."""
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; the lock is deleted with its last ticket."""
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """What Rasa calls after a message: the same as `finish_serving`."""
        # finish_serving deletes the lock with its last ticket: nothing else to do,
        # and no window in which a ticket issued meanwhile would be deleted with it.
        self.finish_serving(conversation_id, ticket_number)
