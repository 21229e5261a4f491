"""MetaChrom-style transfer learning: a pre-trained feature extractor beside a new ResNet encoder.

The target model feeds the same one-hot sequence to (a) the compendium model's trunk ("MetaFeat"),
frozen or fine-tuned at its own lower learning rate, and (b) a new residual encoder; their pooled
features are concatenated into new heads for the user's profiles (Lal et al., PLoS Comput Biol
2022, doi 10.1371/journal.pcbi.1010011).
"""

from __future__ import annotations

import keras
from keras import layers

from brainresnet_tf.models.heads import add_heads
from brainresnet_tf.models.resnet import ResNetSpec, build_resnet_encoder
from brainresnet_tf.models.specs import TRANSFER_MODES

MODES = TRANSFER_MODES
EXTRACTOR_NAME = "metafeat"
NEW_ENCODER_PREFIX = "new_"


@keras.saving.register_keras_serializable(package="brainresnet")
class LayerwiseAdam(keras.optimizers.Adam):
    """Adam whose learning rate is multiplied per variable (matched by variable path).

    Keras 3 has no per-layer learning rates; this keeps one optimizer (so its state is saved with
    the model and a resumed run continues exactly) while the extractor moves ``multiplier`` times
    slower than the new layers.
    """

    def __init__(self, *args, multipliers: dict[str, float] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.multipliers = dict(multipliers or {})

    def build(self, var_list):
        super().build(var_list)
        # update_step receives backend variables (no .path): look factors up by index instead
        self._factors = [self.multipliers.get(v.path) for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        factor = self._factors[self._get_variable_index(variable)]
        if factor is not None:
            learning_rate = learning_rate * factor
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "multipliers": self.multipliers}


def build_transfer_model(
    extractor: keras.Model,
    input_length: int,
    n_profiles: int,
    spec: ResNetSpec,
    mode: str,
    target: str = "peaks",
) -> keras.Model:
    """Extractor features + a new encoder's features -> heads for ``n_profiles``.

    ``mode`` is ``frozen`` (extractor weights and batch statistics fixed) or ``fine_tune``
    (trained too; give it a lower rate with :func:`transfer_optimizer`).
    """
    if mode not in ("frozen", "fine_tune"):
        raise ValueError(f"transfer mode {mode!r} must be 'frozen' or 'fine_tune' to build a transfer model")
    extractor.name = EXTRACTOR_NAME
    extractor.trainable = mode == "fine_tune"
    inputs = keras.Input((input_length, 4), name="sequence")
    # training=False keeps a frozen extractor's batch norm in inference mode, as Keras advises
    borrowed = extractor(inputs, training=False) if mode == "frozen" else extractor(inputs)
    new = build_resnet_encoder(input_length, spec, name="encoder", prefix=NEW_ENCODER_PREFIX)(inputs)
    features = layers.Concatenate(name="transfer_features")([borrowed, new])
    outputs = add_heads(features, n_profiles, spec.head_units, spec.dropout, target)
    return keras.Model(inputs, outputs, name=f"brain_resnet_transfer_{mode}")


def transfer_optimizer(
    model: keras.Model, learning_rate: float, extractor_learning_rate: float
) -> LayerwiseAdam:
    """Adam at ``learning_rate`` with the extractor's variables at ``extractor_learning_rate``."""
    extractor = model.get_layer(EXTRACTOR_NAME)
    factor = extractor_learning_rate / learning_rate
    return LayerwiseAdam(learning_rate, multipliers={v.path: factor for v in extractor.trainable_variables})
