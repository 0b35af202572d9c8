"""``lrsched.keras.KerasSchedule`` inside real Keras 3 optimizers: values, training, saving.

The in-process tests use the JAX backend (set before Keras is imported, as in the compat tests);
the torch backend is exercised in a subprocess, since Keras fixes its backend at import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

os.environ["KERAS_BACKEND"] = "jax"

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import lrsched
from lrsched.keras import KerasSchedule

if keras.backend.backend() != "jax":  # pragma: no cover - another test imported keras first
    pytest.skip("keras was imported with another backend", allow_module_level=True)

SCHEDULES = [
    lrsched.warmup_cosine(1e-2, 40, 5, end=1e-4),
    lrsched.one_cycle(5e-2, 30),
    lrsched.join([lrsched.constant(1e-2), lrsched.linear(1e-2, 1e-3, 10)], [7]),
]


@pytest.fixture(autouse=True)
def _keras_broadcasts():
    # Keras layers add biases by rank promotion, which the suite's strict JAX setting refuses.
    import jax

    with jax.numpy_rank_promotion("allow"):
        yield


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32"))[:, None]
    return x, y


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])


@pytest.mark.parametrize("s", SCHEDULES, ids=repr)
def test_value_is_the_schedule_at_iterations(s):
    ks = KerasSchedule(s)
    assert isinstance(ks, keras.optimizers.schedules.LearningRateSchedule)
    for k in (0, 1, 5, 6, 7, 17, 29, 39, 40, 100):
        got = float(ks(keras.ops.convert_to_tensor(k, dtype="int32")))
        assert got == pytest.approx(s(k), rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("s", SCHEDULES, ids=repr)
def test_every_update_uses_the_schedule_at_its_iteration(s):
    # One weight, loss = mean(w * 1): every gradient is exactly 1, so plain SGD leaves
    # w = -sum(lr used by update k for k < n), and the epoch ends show the lr of the next update.
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    opt = keras.optimizers.SGD(learning_rate=KerasSchedule(s))
    model.compile(optimizer=opt, loss=lambda y_true, y_pred: keras.ops.mean(y_pred))
    ends = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            w = float(keras.ops.convert_to_numpy(model.layers[0].kernel.value).ravel()[0])
            ends.append((int(opt.iterations), float(opt.learning_rate), w))

    x = np.ones((8, 1), dtype="float32")
    model.fit(x, x, batch_size=1, epochs=3, verbose=0, shuffle=False, callbacks=[Record()])
    assert [n for n, _, _ in ends] == [8, 16, 24]
    for n, lr, w in ends:
        assert lr == pytest.approx(s(n), rel=1e-6, abs=1e-12)
        assert -w == pytest.approx(sum(s(k) for k in range(n)), rel=1e-5)


def test_training_reduces_the_loss():
    x, y = _data(256)
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(KerasSchedule(lrsched.warmup_cosine(3e-2, 320, 20))), loss="mse")
    hist = model.fit(x, y, batch_size=32, epochs=40, verbose=0)
    assert hist.history["loss"][-1] < 0.1 * hist.history["loss"][0]


def test_config_round_trip_is_json_and_exact():
    s = lrsched.sgdr(1e-3, 100, period_mult=2, warmup_steps=10)
    ks = KerasSchedule(s)
    cfg = json.loads(json.dumps(ks.get_config()))
    back = KerasSchedule.from_config(cfg)
    assert back.schedule == s
    ser = keras.saving.serialize_keras_object(ks)
    again = keras.saving.deserialize_keras_object(json.loads(json.dumps(ser)))
    assert isinstance(again, KerasSchedule) and again.schedule == s


# Keras' own weight saving converts its variables with np.array(var), which NumPy 2 warns about.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_model_save_and_load(tmp_path):
    s = lrsched.warmup_linear(1e-2, 50, 5)
    x, y = _data()
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(KerasSchedule(s)), loss="mse")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    lr = loaded.optimizer._learning_rate
    assert isinstance(lr, KerasSchedule) and lr.schedule == s
    assert int(loaded.optimizer.iterations) == 8
    assert float(loaded.optimizer.learning_rate) == pytest.approx(s(8), rel=1e-6)


@pytest.mark.parametrize("bad", [0.1, lambda k: 0.1, "warmup_cosine", None])
def test_refuses_what_is_not_a_schedule(bad):
    with pytest.raises(TypeError, match="schedule="):
        KerasSchedule(bad)


@pytest.mark.parametrize("cfg", [{}, {"schedule": {"type": "no_such_type"}}, []])
def test_from_config_refuses_bad_documents(cfg):
    with pytest.raises(ValueError):
        KerasSchedule.from_config(cfg)


def test_torch_backend_in_a_subprocess():
    pytest.importorskip("torch")
    code = textwrap.dedent(
        """
        import os
        os.environ["KERAS_BACKEND"] = "torch"
        import numpy as np, keras, lrsched
        from lrsched.keras import KerasSchedule
        assert keras.backend.backend() == "torch"
        s = lrsched.warmup_cosine(1e-2, 40, 5)
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        opt = keras.optimizers.Adam(KerasSchedule(s))
        model.compile(optimizer=opt, loss="mse")
        x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
        model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=0)
        assert int(opt.iterations) == 8, int(opt.iterations)
        assert abs(float(opt.learning_rate) - s(8)) <= 1e-6 * s(8), (float(opt.learning_rate), s(8))
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("ok")


def test_a_bare_schedule_in_a_keras_optimizer_says_to_wrap_it():
    # Keras takes any callable as a learning rate and calls it with no argument at the first update
    model = _model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lrsched.constant(0.1)), loss="mse")
    x, y = _data(16)
    with pytest.raises(TypeError, match=r"pass lrsched\.keras\.KerasSchedule\(schedule\) instead"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(TypeError, match="called with the step"):
        lrsched.constant(0.1)()
