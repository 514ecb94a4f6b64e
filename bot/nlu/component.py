"""What the project's NLU components without configuration or training share."""

from __future__ import annotations

from typing import Any, Dict

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from typing_extensions import Self


class PlainComponent(GraphComponent):
    """A graph component that takes no configuration and keeps nothing in the
    model: Rasa builds it by calling the class with no arguments."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Self:
        """`cls()`: the configuration, storage and resource Rasa passes are unused."""
        return cls()
