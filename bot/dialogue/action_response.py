"""Action-server responses checked against Rasa's schema by a validator built once.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate`,
which first checks Rasa's constant response schema against the Draft 2020-12
meta-schema, on every call: about 60 ms per custom action on this 2-core machine
(bench/RESULTS.md), more than everything else a message costs together. The same
check by a validator made once accepts and rejects the same responses and raises
the same error, in well under a millisecond. bot/rasa_extensions.py puts
`validate_action_result` in place of Rasa's `RemoteAction._validate_action_result`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, where Rasa does it per call
    return validator_class(schema)


def validate_action_result(action: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's check (and message) without re-checking the schema itself; called as
    the method `RemoteAction._validate_action_result(self, result)`.

    `result`: the action server's decoded JSON response, expected as
    `{"events": [ {"event": str, …}, … ], "responses": [ {…}, … ]}` (both keys
    optional). Returns True when it fits Rasa's `action_response_format_spec()`;
    otherwise raises jsonschema's ValidationError (the error `best_match` picks,
    with Rasa's hint appended to its message), exactly as Rasa's check does."""
    error = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions")
        raise error
    return True
