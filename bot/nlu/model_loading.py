"""Loading a trained DIET without running a training step.

Rasa 3.6 builds a loaded TensorFlow model (`RasaModel.load`) by compiling it with
an optimizer and fitting it on one example batch, then overwrites the weights
with the trained ones. Fitting traces the whole training step (loss, gradients,
optimizer) as a TensorFlow graph: about three quarters of the Rasa server's
start-up and about 500 MB that prediction never uses (bench/RESULTS.md). Every
variable prediction needs is created by computing the loss once, eagerly, on the
same example batch; the trained weights are then read as Rasa reads them (the
optimizer's state in the checkpoint is left unread) and the prediction graph is
traced as Rasa traces it. The parses are identical to Rasa's load
(tests/test_model_loading.py). Loading to fine-tune still takes Rasa's way.
`install` puts this in place of `RasaModel.load`.
"""

from __future__ import annotations

from typing import Any, Optional

import tensorflow as tf
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

RASAS_LOAD = RasaModel.load.__func__  # type: ignore[attr-defined]


def load(cls: type[RasaModel], model_file_name: str, model_data_example: RasaModelData,
         predict_data_example: Optional[RasaModelData] = None, finetune_mode: bool = False,
         *args: Any, **kwargs: Any) -> RasaModel:
    if finetune_mode:
        return RASAS_LOAD(cls, model_file_name, model_data_example, predict_data_example,
                          finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    example_batch = RasaBatchDataGenerator(model_data_example, batch_size=1)[0][0]
    model.batch_loss(tf.nest.map_structure(tf.convert_to_tensor, example_batch))
    model.load_weights(model_file_name).expect_partial()
    if predict_data_example:
        model.run_inference(predict_data_example)
    return model


def install() -> None:
    RasaModel.load = classmethod(load)  # type: ignore[assignment]


def uninstall() -> None:
    RasaModel.load = classmethod(RASAS_LOAD)  # type: ignore[assignment]
