"""Every change this project makes to Rasa's own behaviour, and the one place that
puts in place those Rasa offers no extension point for.

Where Rasa has an extension point, the change is a class named in configuration,
and reading the three files shows all of them:

- config.yml: the NLU components and policies `bot.…` (among them DIET loaded
  without Rasa's training step: bot.nlu.model_loading.FastLoadingDIETClassifier,
  and RulePolicy featurizing only what its rules see: bot.dialogue.rule_policy).
- endpoints.yml: the tracker store (bot.dialogue.tracker_store.TunedSQLTrackerStore);
  the production profile adds the lock store (bot.dialogue.lock_store, written by
  bot/tools/production.py through bot/dialogue/endpoints.py).
- credentials.yml: the input channels (bot.channels.rest, bot.channels.socketio).

What has no extension point is in this module's tables, and nowhere else:

- REPLACEMENTS: private methods of Rasa that `install()` replaces, each with why.
- RELIANCES: Rasa's code left as it is, but something of ours depends on a detail
  of it (a log message, a warning's text, a signature).
- `install()` also masks personal data in everything the process logs
  (bot/logging_privacy.py: a log-record factory and a structlog processor), and
  adds the recorder of failed custom actions to Rasa's processor logger
  (bot/channels/action_failures.py).

`install()` first checks that Rasa is the version these were written and measured
against (RASA_VERSION, the pin of requirements.txt; tests/test_rasa_extensions.py
keeps the two equal) and that every target exists with the expected parameters or
text; otherwise it raises IncompatibleRasa and nothing is replaced. It is
idempotent.

Who calls it. Rasa builds the tracker store of endpoints.yml before it loads the
model or takes a message, and an exception there ends the start (Rasa catches only
ImportError and AttributeError around it). So `TunedSQLTrackerStore.__init__`
calls `install()`, and every way of starting Rasa goes through it: `rasa run`
started by `make run` (bot/tools/run.py), by the production profile
(bot/tools/production.py) and by the tests' running bot (all write endpoints that
name this store, bot/dialogue/endpoints.py), and `rasa shell` or `rasa interactive`,
which read endpoints.yml. The channels install nothing: they are only channels.
Agents loaded in a Python process with `Agent.load` (tests, bench/, `make
evaluate`) get the classes of config.yml, and none of this unless they build a
TunedSQLTrackerStore or call `install()`; the benchmark sets the two methods
itself before each message, Rasa's or ours, to compare them.

A tracker store that does not load. When the class named in endpoints.yml cannot
be imported (or its constructor raises ImportError or AttributeError), Rasa 3.6
warns and goes on with an in-memory store: conversations lost at every restart,
and none of this installed. `refuse_tracker_store_fallback()` turns exactly that
warning into an error, so Rasa refuses to start instead. bot/dialogue/__init__.py
calls it: Python runs the package's `__init__` before the store's own module, so
the filter is in place whatever fails inside bot.dialogue.tracker_store (its
imports, its class, its constructor). Not covered: a `type` that never reaches
the package bot.dialogue (a typo before it); tests/test_rasa_extensions.py checks
that endpoints.yml and every endpoints file the launchers write name the store.
Only standard-library modules are imported here at module level: the launchers
import bot.dialogue without Rasa.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from dataclasses import dataclass
from typing import Any, Optional, Sequence

# The Rasa release every replacement and reliance below was written and measured
# against; requirements.txt pins the same (tests/test_rasa_extensions.py).
RASA_VERSION = "3.6.21"

# Rasa 3.6's warning when a tracker store class named in endpoints.yml does not load
# (rasa/core/tracker_store.py, _load_from_module_name_in_endpoint_config).
TRACKER_STORE_FALLBACK = r"Tracker store with type '.*' not found"


class IncompatibleRasa(RuntimeError):
    """Rasa is not the pinned version, or a target is missing or changed: the
    server must not start with half of its changes in place. Not an ImportError
    or AttributeError, which Rasa would swallow while building the tracker store."""


@dataclass(frozen=True)
class Target:
    """Something of Rasa's, as `module:Qualified.name`.

    parameters: the names `inspect.signature` gives, as reached from the module
    (a method looked up on its class has `self`; a classmethod has no `cls`).
    text: a string its source must contain (a log message, a warning)."""

    path: str
    parameters: Optional[tuple[str, ...]] = None
    text: Optional[str] = None


@dataclass(frozen=True)
class Replacement:
    """A private Rasa method replaced by ours (`module:name`), for a reason."""

    target: Target
    replacement: str
    why: str


@dataclass(frozen=True)
class Reliance:
    """A detail of Rasa's code that a module of ours depends on, left as it is."""

    target: Target
    user: str
    why: str


REPLACEMENTS: tuple[Replacement, ...] = (
    Replacement(
        Target("rasa.core.actions.action:RemoteAction._action_call_format",
               parameters=("self", "tracker", "domain")),
        "bot.dialogue.action_call:action_call_format",
        "The body of every custom-action call. Rasa's sends every event of the conversation "
        "(a form's calls passed 64 KiB); ours sends the tracker's state and the events since "
        "the latest user message. Rasa builds RemoteAction itself for every custom action and "
        "names no class to configure, so the method is replaced."),
    Replacement(
        Target("rasa.core.actions.action:RemoteAction._validate_action_result",
               parameters=("self", "result")),
        "bot.dialogue.action_response:validate_action_result",
        "Rasa's check of the action server's response re-checks its constant JSON schema on "
        "every call (about 60 ms per custom action); ours builds the validator once and gives "
        "the same verdicts and errors. Same reason as above for replacing the method."),
)

RELIANCES: tuple[Reliance, ...] = (
    Reliance(
        Target("rasa.core.processor:MessageProcessor._run_action",
               text="Encountered an exception while running action"),
        "bot.channels.action_failures",
        "Rasa logs a failed custom action and drops its events, with no hook: the log record "
        "is how the channel knows to apologize instead of staying silent."),
    Reliance(
        Target("rasa.core.tracker_store:_load_from_module_name_in_endpoint_config",
               text="Tracker store with type"),
        "bot.rasa_extensions:refuse_tracker_store_fallback",
        "The warning Rasa gives before falling back to an in-memory tracker store, which "
        "refuse_tracker_store_fallback turns into an error."),
    Reliance(
        Target("rasa.core.tracker_store:SQLTrackerStore.save", text="data=json.dumps(data)"),
        "bot.dialogue.tracker_store",
        "TunedSQLTrackerStore._store is this method with each row's data sealed "
        "(bot/tracker_rows.py): Rasa writes the event's JSON as it is and has no hook for the "
        "column. A change of Rasa's rows (a new column) must be carried over."),
    Reliance(
        Target("rasa.core.tracker_store:SQLTrackerStore._retrieve",
               parameters=("self", "sender_id", "fetch_events_from_all_sessions")),
        "bot.dialogue.tracker_store",
        "TunedSQLTrackerStore overrides it to open sealed rows: Rasa's retrieve_full_tracker "
        "(the HTTP API's tracker, `rasa export`) reads through it."),
    Reliance(
        Target("rasa.utils.tensorflow.models:RasaModel.load",
               parameters=("model_file_name", "model_data_example", "predict_data_example",
                           "finetune_mode", "args", "kwargs")),
        "bot.nlu.model_loading",
        "FastLoadingDIET overrides this classmethod (a subclass, named in config.yml through "
        "FastLoadingDIETClassifier); it builds the model the way Rasa 3.6 does, without the "
        "training step."),
    Reliance(
        Target("rasa.nlu.classifiers.diet_classifier:DIETClassifier.model_class", parameters=()),
        "bot.nlu.model_loading",
        "FastLoadingDIETClassifier returns FastLoadingDIET from it: how a DIET subclass "
        "chooses the TensorFlow model it builds and loads."),
)

# Rasa's own functions, kept when replaced, so that a later check still sees them.
_originals: dict[str, Any] = {}
_installed = False


def resolve(path: str) -> Any:
    """The object at `module:Qualified.name`. Raises ImportError or AttributeError."""
    module_name, _, qualified = path.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualified.split("."):
        found = getattr(found, part)
    return found


def _owner_and_name(path: str) -> tuple[Any, str]:
    module_name, _, qualified = path.partition(":")
    owner_path, _, name = qualified.rpartition(".")
    return (resolve(f"{module_name}:{owner_path}") if owner_path else importlib.import_module(module_name)), name


def _parameter_names(function: Any) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)


def _problems_with(target: Target) -> list[str]:
    """What is wrong with one target (empty: nothing). Rasa's own function is
    checked even after `install()` replaced it."""
    try:
        found = _originals.get(target.path) or resolve(target.path)
    except (ImportError, AttributeError) as error:
        return [f"{target.path}: not found ({error})"]
    module_name = target.path.partition(":")[0]
    problems = []
    if getattr(found, "__module__", None) != module_name:
        problems.append(f"{target.path}: not Rasa's own, replaced by {getattr(found, '__module__', '?')}")
    if target.parameters is not None:
        try:
            parameters = _parameter_names(found)
        except (TypeError, ValueError) as error:
            parameters = (f"<no signature: {error}>",)
        if parameters != target.parameters:
            problems.append(f"{target.path}: parameters {parameters}, expected {target.parameters}")
    if target.text is not None:
        try:
            source = inspect.getsource(found)
        except (OSError, TypeError) as error:
            source = f"<no source: {error}>"
        if target.text not in source:
            problems.append(f"{target.path}: no longer contains {target.text!r}")
    return problems


def problems(version: Optional[str] = None,
             replacements: Sequence[Replacement] = REPLACEMENTS,
             reliances: Sequence[Reliance] = RELIANCES) -> list[str]:
    """Everything that keeps the tables from applying, one line each (empty: they
    apply). `version` defaults to the installed Rasa's; a replacement must take as
    many parameters as its target."""
    if version is None:
        import rasa

        version = rasa.__version__
    found = [] if version == RASA_VERSION else [
        f"Rasa {version} is installed; these extensions are for Rasa {RASA_VERSION} "
        "(requirements.txt)"]
    for replacement in replacements:
        target_problems = _problems_with(replacement.target)
        found += target_problems
        if target_problems or replacement.target.parameters is None:
            continue
        try:
            ours = _parameter_names(resolve(replacement.replacement))
        except (ImportError, AttributeError) as error:
            found.append(f"{replacement.replacement}: not found ({error})")
            continue
        if len(ours) != len(replacement.target.parameters):
            found.append(f"{replacement.replacement}: parameters {ours} do not match "
                         f"{replacement.target.path}{replacement.target.parameters}")
    for reliance in reliances:
        found += _problems_with(reliance.target)
    return found


def check(version: Optional[str] = None,
          replacements: Sequence[Replacement] = REPLACEMENTS,
          reliances: Sequence[Reliance] = RELIANCES) -> None:
    """Raises IncompatibleRasa listing every problem `problems()` finds."""
    found = problems(version, replacements, reliances)
    if found:
        raise IncompatibleRasa("Rasa is not the one this bot's extensions were written for "
                               "(bot/rasa_extensions.py); not starting:\n  " + "\n  ".join(found))


def refuse_tracker_store_fallback() -> None:
    """Rasa's warning that the tracker store of endpoints.yml did not load, which
    it follows with an in-memory store, raised as an error (a UserWarning, with the
    ImportError or AttributeError that caused it attached). Idempotent; standard
    library only."""
    # By message only: Rasa issues it through rasa.shared.utils.io.raise_warning, whose
    # module the warning is attributed to.
    warnings.filterwarnings("error", message=TRACKER_STORE_FALLBACK, category=UserWarning)


def install() -> None:
    """Check Rasa (IncompatibleRasa if it does not fit: nothing is changed), then put
    in place the refusal of the tracker-store fallback, log masking, the recorder
    of failed actions and every replacement of REPLACEMENTS. Idempotent."""
    global _installed
    if _installed:
        return
    check()
    from bot import logging_privacy
    from bot.channels import action_failures

    refuse_tracker_store_fallback()
    logging_privacy.install()
    action_failures.install()
    for replacement in REPLACEMENTS:
        owner, name = _owner_and_name(replacement.target.path)
        _originals.setdefault(replacement.target.path, getattr(owner, name))
        setattr(owner, name, resolve(replacement.replacement))
    _installed = True


def installed() -> bool:
    """Whether `install()` has run in this process."""
    return _installed
