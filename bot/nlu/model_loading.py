"""DIET loaded without running a training step, as a component named in config.yml.

Rasa 3.6 builds a loaded TensorFlow model (`RasaModel.load`) by compiling it with
an optimizer and fitting it on one example batch, then overwrites the weights
with the trained ones. Fitting traces the whole training step (loss, gradients,
optimizer) as a TensorFlow graph: about three quarters of the Rasa server's
start-up and about 500 MB that prediction never uses (bench/RESULTS.md).
`FastLoadingDIET.load` creates every variable prediction needs by computing the
loss once, eagerly, on the same example batch; the trained weights are then read
as Rasa reads them (the optimizer's state in the checkpoint is left unread) and
the prediction graph is traced as Rasa traces it. The parses are identical to
Rasa's load (tests/test_model_loading.py). Loading to fine-tune still takes
Rasa's way.

This is Rasa's own extension point, no replacement: `FastLoadingDIETClassifier`
is Rasa's DIETClassifier, registered as a graph component, whose `model_class()`
is `FastLoadingDIET`, and config.yml names it in place of DIETClassifier. Training
is Rasa's (same class of model, same persisted files, named after this class).
DIET is the only TensorFlow model of the pipeline and the policies; another one
(TEDPolicy, ResponseSelector) would need a subclass of its own to load this way.
"""

from __future__ import annotations

from typing import Any, Optional

import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel


class FastLoadingDIET(DIET):
    """Rasa's DIET model (intent and entity transformer), loaded for prediction
    without Rasa's one-batch training step."""

    @classmethod
    def load(cls, model_file_name: str, model_data_example: RasaModelData,
             predict_data_example: Optional[RasaModelData] = None, finetune_mode: bool = False,
             *args: Any, **kwargs: Any) -> RasaModel:
        """The model whose weights are in the TensorFlow checkpoint `model_file_name`
        (a path prefix, as Rasa writes it: `…/<component>.tf_model`).

        `model_data_example`: one stored batch of the training data (the features
        and labels Rasa persisted next to the weights), from which the first
        example builds every variable; `predict_data_example` (its text features
        only): when given, the prediction graph is traced on it now rather than on
        the first message. `args`/`kwargs` are DIET's constructor arguments
        (data_signature, label_data, entity_tag_specs, config).

        With `finetune_mode` Rasa's own load runs (an optimizer is then needed).
        The model returned has no optimizer (`model.optimizer is None`): it
        predicts, it cannot be trained further. Raises what TensorFlow raises for
        a missing or mismatched checkpoint (NotFoundError, ValueError); the
        checkpoint's optimizer slots are deliberately left unread (`expect_partial`)."""
        if finetune_mode:
            return super().load(model_file_name, model_data_example, predict_data_example,
                                finetune_mode, *args, **kwargs)
        model = cls(*args, **kwargs)
        example_batch = RasaBatchDataGenerator(model_data_example, batch_size=1)[0][0]
        model.batch_loss(tf.nest.map_structure(tf.convert_to_tensor, example_batch))
        model.load_weights(model_file_name).expect_partial()
        if predict_data_example:
            model.run_inference(predict_data_example)
        return model


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class FastLoadingDIETClassifier(DIETClassifier):
    """Rasa's DIETClassifier (same configuration keys, training, outputs), whose
    model loads without a training step (`FastLoadingDIET`). Named in config.yml;
    its entities carry `extractor: FastLoadingDIETClassifier`."""

    @staticmethod
    def model_class() -> type[RasaModel]:
        """The TensorFlow model class this component trains and loads."""
        return FastLoadingDIET
