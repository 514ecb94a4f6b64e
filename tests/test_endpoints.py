"""The endpoint sections the launchers write name classes Rasa can load."""

from __future__ import annotations

from rasa.shared.utils.common import class_from_module_path

from bot.dialogue.endpoints import action_endpoint, lock_store_endpoint, tracker_store_endpoint


def test_sqlite() -> None:
    endpoint = tracker_store_endpoint("sqlite:////srv/bot/tracker.db")
    assert class_from_module_path(endpoint["type"]).__name__ == "TunedSQLTrackerStore"
    assert endpoint | {"type": None} == {"type": None, "dialect": "sqlite", "db": "/srv/bot/tracker.db"}


def test_postgresql() -> None:
    endpoint = tracker_store_endpoint("postgresql://bot:secret@db.internal:6543/tracker")
    assert class_from_module_path(endpoint["type"]).__name__ == "TunedSQLTrackerStore"
    assert endpoint | {"type": None} == {"type": None, "dialect": "postgresql", "url": "db.internal",
                                         "port": 6543, "db": "tracker", "username": "bot",
                                         "password": "secret"}


def test_redis_url_to_the_atomic_lock_store() -> None:
    endpoint = lock_store_endpoint("redis://:pw@cache.internal:6380/2", "tcn")
    assert class_from_module_path(endpoint["type"]).__name__ == "AtomicRedisLockStore"
    assert endpoint | {"type": None} == {"type": None, "url": "cache.internal", "port": 6380, "db": 2,
                                         "key_prefix": "tcn", "password": "pw"}
    assert lock_store_endpoint("redis://127.0.0.1", "x")["db"] == 0


def test_the_action_endpoint_of_make_run_and_of_the_production_profile_agree() -> None:
    import yaml

    from tests.conftest import ROOT

    embedded = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["action_endpoint"]
    assert embedded == action_endpoint(embedded["url"])
    assert action_endpoint("http://127.0.0.1:5050/webhook")["enable_selective_domain"] is True
