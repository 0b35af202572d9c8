"""Keras 3: an lrsched schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.

A Keras optimizer calls its learning-rate schedule with the optimizer's ``iterations`` (the number
of updates applied so far), which is lrsched's step convention, so :class:`KerasSchedule` is a thin
wrapper: ``KerasSchedule(s)(iterations) == s(iterations)``. Its config is the schedule's
:func:`lrsched.to_dict` document, so a model compiled with it saves and loads (``model.save``,
``keras.saving.load_model``) with no ``custom_objects``.

Importing this module imports Keras (``pip install 'lrsched[keras]'``), with the backend that
``KERAS_BACKEND`` names; ``import lrsched`` never imports Keras.
"""

from __future__ import annotations

try:
    import keras
except ImportError as e:  # pragma: no cover - exercised only where keras is missing
    raise ImportError("lrsched.keras needs Keras 3: pip install 'lrsched[keras]'") from e

from ._node import schedule_arg
from ._serialize import from_dict, to_dict

__all__ = ["KerasSchedule"]


@keras.saving.register_keras_serializable(package="lrsched")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A Keras learning-rate schedule whose value at ``iterations`` is ``schedule(iterations)``.

    On the JAX backend the schedule runs on the traced step inside Keras' compiled train step
    (one compile, no host round trip). On the other backends the step is read on the host and the
    schedule's Python path gives the value.

    Args:
        schedule: any :class:`lrsched.Schedule`.

    Example:
        >>> import lrsched
        >>> from lrsched.keras import KerasSchedule
        >>> ks = KerasSchedule(lrsched.warmup_cosine(1e-3, 1000, 100))
        >>> ks.schedule(100)
        0.001
        >>> KerasSchedule.from_config(ks.get_config()).schedule == ks.schedule
        True
    """

    def __init__(self, schedule):
        self.schedule = schedule_arg("schedule", schedule)

    def __call__(self, step):
        from keras import backend, ops

        k = ops.convert_to_tensor(step)
        if backend.backend() == "jax":
            return self.schedule(k)
        if backend.backend() == "numpy":
            return ops.convert_to_tensor(self.schedule(k), dtype="float32")
        # torch / tensorflow eager: the step is a concrete scalar, read on the host
        return ops.convert_to_tensor(self.schedule(int(ops.convert_to_numpy(k))), dtype="float32")

    def get_config(self):
        return {"schedule": to_dict(self.schedule)}

    @classmethod
    def from_config(cls, config):
        if not isinstance(config, dict) or "schedule" not in config:
            raise ValueError(f"config={config!r:.200}: expected a dict with a 'schedule' document")
        return cls(from_dict(config["schedule"]))

    def __repr__(self):
        return f"KerasSchedule({self.schedule!r})"
