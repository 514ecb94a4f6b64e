"""Sections of endpoints.yml built from connection URLs.

Kept apart from the store classes they name, so that the launchers
(bot/tools/run.py, bot/tools/production.py) do not import Rasa to write them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

TUNED_TRACKER_STORE = "bot.dialogue.tracker_store.TunedSQLTrackerStore"
# The secret Rasa shows the action server (bot/actions_server.py), from this variable.
TOKEN_VARIABLE = "TCN_ACTIONS_TOKEN"
# What Rasa's action_endpoint sends: Rasa replaces ${…} with the variable from its
# own environment when it reads endpoints.yml, so the secret is never written there.
ENDPOINT_HEADERS = {"Authorization": f"Bearer ${{{TOKEN_VARIABLE}}}"}
ATOMIC_LOCK_STORE = "bot.dialogue.lock_store.AtomicRedisLockStore"
# Where the socket.io channels of several Rasa servers share their emits
# (bot/channels/socketio.py): a Redis URL, and the Redis channel of this deployment.
SOCKETIO_REDIS_VARIABLE = "TCN_SOCKETIO_REDIS_URL"
SOCKETIO_CHANNEL_VARIABLE = "TCN_SOCKETIO_CHANNEL"


def action_endpoint(url: str) -> dict[str, Any]:
    """`action_endpoint` for an action server's webhook URL, as endpoints.yml reads:
    the secret in a header, and the domain sent only to the actions that read it
    (rasa_sdk's form validation)."""
    return {"url": url, "enable_selective_domain": True, "headers": dict(ENDPOINT_HEADERS)}


def authorization(token: str) -> dict[str, str]:
    """The header with the secret itself, for an EndpointConfig built in code (bench)."""
    return {"Authorization": f"Bearer {token}"}


def tracker_store_endpoint(url: str) -> dict[str, Any]:
    """`tracker_store` for an SQLAlchemy URL (SQLite or a database server): always
    TunedSQLTrackerStore, whose construction installs bot/rasa_extensions.py.
    SQLite: `{type, dialect: sqlite, db: <path>}`; a server: `{type, dialect, url:
    host, port (5432 when not given), db, username[, password]}`. Raises
    SQLAlchemy's ArgumentError for a string that is no URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return {"type": TUNED_TRACKER_STORE, "dialect": "sqlite", "db": parsed.database}
    endpoint: dict[str, Any] = {
        "type": TUNED_TRACKER_STORE, "dialect": parsed.get_backend_name(),
        "url": parsed.host or "127.0.0.1", "port": parsed.port or 5432,
        "db": parsed.database, "username": parsed.username,
    }
    if parsed.password:
        endpoint["password"] = parsed.password
    return endpoint


def lock_store_endpoint(redis_url: str, key_prefix: str) -> dict[str, Any]:
    """`lock_store` for a redis:// URL: `{type: AtomicRedisLockStore, url: host,
    port (6379), db (the URL's path, 0 when none), key_prefix[, password]}`. The key
    prefix (alphanumeric, Rasa's rule) keeps two deployments on one Redis apart.
    Raises ValueError for a path that is not a database number."""
    parts = urlsplit(redis_url)
    endpoint: dict[str, Any] = {
        "type": ATOMIC_LOCK_STORE, "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379, "db": int(parts.path.strip("/") or 0), "key_prefix": key_prefix,
    }
    if parts.password:
        endpoint["password"] = parts.password
    return endpoint
