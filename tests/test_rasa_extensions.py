"""The one place of the project's changes to Rasa (bot/rasa_extensions.py): it refuses
another Rasa or a missing or changed target, installs once however often it is
called, is installed by what every way of starting Rasa builds, and makes Rasa
refuse to start when the tracker store of endpoints.yml does not load."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from bot import rasa_extensions
from bot.dialogue.endpoints import TUNED_TRACKER_STORE
from bot.rasa_extensions import RASA_VERSION, RELIANCES, REPLACEMENTS, IncompatibleRasa, Reliance, Replacement, Target
from tests.conftest import ROOT


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_pinned_version_is_the_one_of_requirements_txt() -> None:
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    [pinned] = re.findall(r"^rasa==(\S+)$", requirements, re.MULTILINE)
    assert RASA_VERSION == pinned


def test_the_installed_rasa_fits() -> None:
    assert rasa_extensions.problems() == []
    rasa_extensions.check()


def test_another_rasa_version_is_refused() -> None:
    with pytest.raises(IncompatibleRasa, match=r"Rasa 3\.6\.20 is installed; .* for Rasa 3\.6\.21"):
        rasa_extensions.check(version="3.6.20")
    with pytest.raises(IncompatibleRasa, match="Rasa 3.7.0 is installed"):
        rasa_extensions.check(version="3.7.0")


def test_a_missing_target_is_refused() -> None:
    missing_method = Replacement(Target("rasa.core.actions.action:RemoteAction._no_such_method",
                                        parameters=("self",)),
                                 "bot.dialogue.action_call:action_call_format", "test")
    missing_module = Reliance(Target("rasa.no_such_module:Thing"), "tests", "test")
    with pytest.raises(IncompatibleRasa) as refused:
        rasa_extensions.check(version=RASA_VERSION, replacements=[missing_method], reliances=[missing_module])
    message = str(refused.value)
    assert "RemoteAction._no_such_method: not found" in message
    assert "rasa.no_such_module:Thing: not found" in message
    # Not what Rasa swallows while building the tracker store (it would fall back to memory).
    assert not isinstance(refused.value, (ImportError, AttributeError))


def test_a_changed_signature_or_text_is_refused() -> None:
    other_parameters = Replacement(Target("rasa.core.actions.action:RemoteAction._action_call_format",
                                          parameters=("self", "tracker", "domain", "endpoint")),
                                   "bot.dialogue.action_call:action_call_format", "test")
    other_text = Reliance(Target("rasa.core.processor:MessageProcessor._run_action",
                                 text="a message Rasa never logged"), "tests", "test")
    found = rasa_extensions.problems(RASA_VERSION, [other_parameters], [other_text])
    assert len(found) == 2
    assert "RemoteAction._action_call_format: parameters ('self', 'tracker', 'domain')" in found[0]
    assert "no longer contains 'a message Rasa never logged'" in found[1]


def test_a_replacement_must_take_the_parameters_of_its_target() -> None:
    wrong = Replacement(Target("rasa.core.actions.action:RemoteAction._validate_action_result",
                               parameters=("self", "result")),
                        "bot.dialogue.action_call:action_call_format", "test")
    [problem] = rasa_extensions.problems(RASA_VERSION, [wrong], [])
    assert "do not match" in problem


def test_every_entry_says_why() -> None:
    entries: tuple[Replacement | Reliance, ...] = (*REPLACEMENTS, *RELIANCES)
    for entry in entries:
        assert len(entry.why) > 40 and entry.target.path.startswith("rasa.")


def test_install_is_idempotent_and_is_what_the_tracker_store_does(tmp_path: Path) -> None:
    # In a process of its own: installing changes Rasa for the whole process.
    result = _python("""
import logging, warnings, structlog
from rasa.core.actions.action import RemoteAction
from bot import rasa_extensions
from bot.channels import action_failures
from bot.dialogue.action_call import action_call_format
from bot.dialogue.action_response import validate_action_result
from bot.dialogue.tracker_store import TunedSQLTrackerStore
from bot.logging_privacy import mask_event_dict

rasas = RemoteAction._action_call_format
assert not rasa_extensions.installed()
TunedSQLTrackerStore(db="tracker.db")  # what Rasa builds from endpoints.yml
assert rasa_extensions.installed()
assert RemoteAction._action_call_format is action_call_format
assert RemoteAction._validate_action_result is validate_action_result

def state():
    return (RemoteAction._action_call_format, RemoteAction._validate_action_result,
            logging.getLogRecordFactory(), list(structlog.get_config()["processors"]),
            list(warnings.filters), list(logging.getLogger(action_failures.PROCESSOR_LOGGER).handlers))

before = state()
rasa_extensions.install()
rasa_extensions.install()
assert state() == before
assert structlog.get_config()["processors"].count(mask_event_dict) == 1
assert getattr(logging.getLogRecordFactory(), "masks_personal_data", False)
# The check still sees Rasa's own methods behind the replacements.
assert rasa_extensions.problems() == [], rasa_extensions.problems()
assert rasa_extensions._originals[
    "rasa.core.actions.action:RemoteAction._action_call_format"] is rasas
print("ok")
""", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_a_tracker_store_that_does_not_load_stops_rasa(tmp_path: Path) -> None:
    # Rasa's way of building the store of endpoints.yml. Importing bot.dialogue (the
    # package) turns Rasa's fallback into an error: no conversation kept in memory.
    result = _python("""
from rasa.core.tracker_store import TrackerStore
from rasa.utils.endpoints import EndpointConfig
store = TrackerStore.create(EndpointConfig(type="bot.dialogue.no_such_store.TrackerStore"))
print("fell back to", type(store).__name__)
""", tmp_path)
    assert result.returncode != 0
    assert "fell back" not in result.stdout
    assert "No module named 'bot.dialogue.no_such_store'" in result.stderr
    assert "UserWarning: Tracker store with type 'bot.dialogue.no_such_store.TrackerStore' not found" \
        in result.stderr


def test_rasas_fallback_and_its_refusal() -> None:
    from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig(type="no_such_package.TrackerStore")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # What Rasa 3.6 does by itself: a store in memory.
        assert isinstance(TrackerStore.create(endpoint), InMemoryTrackerStore)
        rasa_extensions.refuse_tracker_store_fallback()
        rasa_extensions.refuse_tracker_store_fallback()
        with pytest.raises(UserWarning, match="Tracker store with type 'no_such_package.TrackerStore'"):
            TrackerStore.create(endpoint)


def test_every_way_of_starting_rasa_builds_the_store_that_installs(tmp_path: Path) -> None:
    from bot.tools.production import Profile, endpoints
    from bot.tools.run import Ports, write_endpoints

    embedded = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))  # rasa shell, rasa run
    assert embedded["tracker_store"]["type"] == TUNED_TRACKER_STORE
    assert endpoints(Profile(run_dir=tmp_path))["tracker_store"]["type"] == TUNED_TRACKER_STORE
    written = write_endpoints(Ports(rasa=59999, actions=59998, chat=59997, console=59996),
                              f"sqlite:///{tmp_path / 'tracker.db'}")  # make run, the tests' bot
    try:
        assert yaml.safe_load(written.read_text(encoding="utf-8"))["tracker_store"]["type"] == TUNED_TRACKER_STORE
    finally:
        written.unlink()
