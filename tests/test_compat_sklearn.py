"""lrsched.compat.sklearn against scikit-learn itself, and against the formulas of its source.

The SGD estimators keep their step size inside compiled code, but it is observable: with the
weights reset to 0 before each one-sample ``partial_fit`` (no penalty, no intercept, x = 1,
y = 1), the new weight is ``eta * |dloss(y=1, p=0)|`` exactly. The MLP's ``SGDOptimizer`` is
plain Python: its ``learning_rate`` is recorded at every ``update_params`` call.
"""

from __future__ import annotations

import json
import math
import random
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network import _stochastic_optimizers as sk_opt

import lrsched
from lrsched.compat import sklearn as sk

RTOL = 1e-9
X1, Y1 = np.array([[1.0]]), np.array([1.0])


def observed_etas(est, n, divisor, classifier):
    """The step size of each of ``n`` one-sample updates, read back from the weight."""
    out = []
    for _ in range(n):
        if hasattr(est, "coef_"):
            est.coef_ = np.zeros((1, 1) if classifier else 1)
        if classifier:
            est.partial_fit(X1, np.array([1]), classes=[0, 1])
        else:
            est.partial_fit(X1, Y1)
        out.append(float(np.ravel(est.coef_)[0]) / divisor)
    return out


# |dloss(y=1, p=0)| of each loss (sklearn/linear_model/_sgd_fast.pyx.tp, sklearn/_loss/loss.py)
def dloss_at_zero(loss, eps):
    return {
        "hinge": 1.0,
        "perceptron": 1.0,
        "squared_hinge": 2.0,
        "modified_huber": 2.0,
        "log_loss": 0.5,
        "squared_error": 1.0,
        "huber": min(1.0, eps),
        "epsilon_insensitive": 1.0,
        "squared_epsilon_insensitive": 2.0 * (1.0 - eps),
    }[loss]


# ============================================================================================
# SGD: invscaling and optimal against the estimators
# ============================================================================================
@pytest.mark.parametrize("seed", range(12))
def test_invscaling_matches_sgd_estimators(seed):
    rng = random.Random(seed)
    eta0 = rng.uniform(1e-3, 1.0)
    power_t = rng.choice([0.0, 0.5, 0.25, rng.uniform(0.01, 1.5)])
    classifier = seed % 2 == 0
    cls = SGDClassifier if classifier else SGDRegressor
    est = cls(
        learning_rate="invscaling",
        eta0=eta0,
        power_t=power_t,
        penalty=None,
        fit_intercept=False,
        shuffle=False,
        loss="hinge" if classifier else "squared_error",
    )
    got = observed_etas(est, 40, 1.0, classifier)
    s = sk.invscaling(eta0, power_t)
    for k in range(40):
        ref = eta0 / math.pow(k + 1, power_t)  # _plain_sgd: eta0 / pow(t, power_t), t = k + 1
        assert abs(got[k] - ref) <= RTOL * ref
        assert abs(s(k) - got[k]) <= RTOL * got[k], (k, s(k), got[k])


LOSSES = [
    "hinge",
    "log_loss",
    "modified_huber",
    "squared_hinge",
    "perceptron",
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
]


@pytest.mark.parametrize("loss", LOSSES)
def test_optimal_matches_sgd_estimators(loss):
    rng = random.Random(loss)
    for _ in range(3):
        alpha = 10 ** rng.uniform(-6, 0)
        eps = rng.uniform(0.01, 0.9)
        classifier = (
            loss not in ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
            or rng.random() < 0.5
        )
        cls = SGDClassifier if classifier else SGDRegressor
        est = cls(
            loss=loss,
            learning_rate="optimal",
            alpha=alpha,
            epsilon=eps,
            penalty=None,
            fit_intercept=False,
            shuffle=False,
        )
        got = observed_etas(est, 25, dloss_at_zero(loss, eps), classifier)
        s = sk.optimal(alpha=alpha, loss=loss, epsilon=eps)
        # _plain_sgd: typw = sqrt(1 / sqrt(alpha)); eta_first = typw / max(1, dloss(1, -typw));
        # t0 = 1 / (eta_first * alpha); eta = 1 / (alpha * (t0 + t - 1)), t = k + 1
        t0 = 1.0 / (math.sqrt(1.0 / math.sqrt(alpha)) * alpha)
        for k in range(25):
            ref = 1.0 / (alpha * (t0 + k))
            assert abs(got[k] - ref) <= RTOL * ref, (loss, k, got[k], ref)
            assert abs(s(k) - got[k]) <= RTOL * got[k], (loss, k, s(k), got[k])


def test_optimal_t0_formula():
    for loss in LOSSES:
        for alpha in (1e-6, 1e-4, 0.3, 1.0, 7.0):
            assert sk.optimal_t0(alpha, loss) == pytest.approx(alpha**-0.75, rel=1e-13)
    s = sk.optimal(alpha=0.01, t0=50.0)
    assert s(0) == pytest.approx(1 / (0.01 * 50), rel=1e-15) and s(50) == pytest.approx(1 / (0.01 * 100), rel=1e-15)


def test_constant():
    assert sk.constant(0.3)(0) == 0.3 == sk.constant(0.3)(10**9)


# ============================================================================================
# MLP: invscaling against MLPClassifier, update by update
# ============================================================================================
@pytest.fixture
def recorded_lrs(monkeypatch):
    lrs = []
    original = sk_opt.SGDOptimizer.update_params

    def record(self, params, grads):
        lrs.append(self.learning_rate)
        return original(self, params, grads)

    monkeypatch.setattr(sk_opt.SGDOptimizer, "update_params", record)
    return lrs


@pytest.mark.parametrize("seed", range(8))
def test_mlp_invscaling_matches_mlp(seed, recorded_lrs):
    rng = random.Random(seed)
    n = rng.randint(3, 60)
    batch = rng.choice(["auto", rng.randint(1, n), n + rng.randint(1, 5)])
    lri = rng.uniform(1e-3, 0.5)
    power_t = rng.choice([0.0, 0.5, rng.uniform(0.05, 2.0)])
    data = np.random.default_rng(seed)
    X = data.normal(size=(n, 2))
    y = np.arange(n) % 2
    est = MLPClassifier(
        hidden_layer_sizes=(3,),
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=lri,
        power_t=power_t,
        batch_size=batch,
        momentum=0.0,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Got `batch_size` less than 1 or larger than sample size")
        for _ in range(6):
            est.partial_fit(X, y, classes=[0, 1])
    s = sk.mlp_invscaling(lri, power_t, n_samples=n, batch_size=batch)
    per = math.ceil(n / (min(200, n) if batch == "auto" else min(batch, n)))
    assert len(recorded_lrs) == 6 * per
    for k, lr in enumerate(recorded_lrs):
        ref = lri / (k // per * n + 1) ** power_t  # iteration_ends: init / (t_ + 1) ** power_t
        assert abs(lr - ref) <= RTOL * ref
        assert abs(s(k) - lr) <= RTOL * lr, (k, s(k), lr)


# ============================================================================================
# adaptive: a Plateau, against MLPClassifier and against _plain_sgd's epoch-end rule
# ============================================================================================
@pytest.mark.parametrize("seed", range(6))
def test_mlp_adaptive_matches_mlp(seed):
    rng = random.Random(seed)
    n_iter = rng.randint(1, 3)
    tol = rng.uniform(0.005, 0.2)
    lri = rng.uniform(0.01, 0.5)
    data = np.random.default_rng(seed)
    X = data.normal(size=(40, 3))
    y = (X[:, 0] + 0.5 * data.normal(size=40) > 0).astype(int)
    est = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=lri,
        n_iter_no_change=n_iter,
        tol=tol,
        batch_size=8,
        random_state=seed,
    )
    p = sk.mlp_adaptive(lri, n_iter_no_change=n_iter, tol=tol)
    state = p.init()
    reductions = 0
    for _ in range(40):
        before = est._optimizer.learning_rate if hasattr(est, "_optimizer") else lri
        est.partial_fit(X, y, classes=[0, 1])
        new = p.update(state, est.loss_curve_[-1])
        if new.level != state.level and before <= 1e-6:
            break  # scikit-learn stops here instead of dividing
        state = new
        lr = est._optimizer.learning_rate
        assert abs(p.apply(state, lri) - lr) <= 1e-12 * lr, (p.apply(state, lri), lr)
        reductions += lr != before
    assert reductions >= 1


def ref_sgd_adaptive(metrics, eta0, n_iter_no_change, tol, early_stopping):
    """The step size after each epoch, from _plain_sgd (sklearn/linear_model/_sgd_fast.pyx.tp)."""
    eta, count, best_objective, best_score, out = eta0, 0, math.inf, -math.inf, []
    for m in metrics:
        if early_stopping:
            count = count + 1 if m < best_score + tol else 0
            if m > best_score:  # noqa: PLR1730 - the source's own form
                best_score = m
        else:
            count = count + 1 if m > best_objective - tol else 0
            if m < best_objective:  # noqa: PLR1730 - the source's own form
                best_objective = m
        if count >= n_iter_no_change:
            if eta > 1e-6:
                eta, count = eta / 5, 0
            else:
                break  # training stops
        out.append(eta)
    return out


@pytest.mark.parametrize("seed", range(30))
def test_sgd_adaptive_matches_the_source_rule(seed):
    rng = random.Random(seed)
    early = seed % 2 == 1
    n_iter = rng.randint(1, 4)
    tol = rng.choice([0.0, 0.25, 0.5])  # on the metrics' grid, so the margin is hit exactly
    eta0 = rng.uniform(1e-3, 1.0)
    metrics = [
        rng.choice([rng.randint(-8, 8) / 4, math.nan]) if rng.random() < 0.05 else rng.randint(-8, 8) / 4
        for _ in range(60)
    ]
    want = ref_sgd_adaptive(metrics, eta0, n_iter, tol, early)
    p = sk.adaptive(eta0, n_iter_no_change=n_iter, tol=tol, early_stopping=early)
    state = p.init()
    for m, eta in zip(metrics, want):
        state = p.update(state, m)
        assert abs(p.apply(state, eta0) - eta) <= 1e-12 * eta
    # the same rule on the JAX path, under lax.scan (float32 here; the metrics are exact in it)
    ms = jnp.asarray(metrics[: len(want)], dtype=jnp.float32)

    def body(st, m):
        st = p.update(st, m)
        return st, st.scale

    _, scales = jax.lax.scan(body, jax.tree.map(jnp.asarray, p.init()), ms)
    np.testing.assert_allclose(np.asarray(scales) * eta0, want, rtol=1e-5)


def test_adaptive_counts_differ_between_sgd_and_mlp():
    assert sk.adaptive(0.1, n_iter_no_change=5).patience == 4
    assert sk.mlp_adaptive(0.1, n_iter_no_change=5).patience == 5
    p = sk.adaptive(0.1, n_iter_no_change=3, tol=0.0, early_stopping=True)
    assert p.mode == "max" and p.rule == "sklearn" and lrsched.Plateau.from_dict(p.to_dict()) == p


# ============================================================================================
# jit, serialisation, errors
# ============================================================================================
ALL = {
    "constant": lambda: sk.constant(0.1),
    "invscaling": lambda: sk.invscaling(0.5, 0.3),
    "optimal": lambda: sk.optimal(alpha=1e-3, loss="log_loss"),
    "mlp_invscaling": lambda: sk.mlp_invscaling(0.1, 0.5, n_samples=50, batch_size=16),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_jit_and_round_trip(name):
    s = ALL[name]()
    ks = np.arange(300)
    want = s(ks)
    np.testing.assert_allclose(want, [s(int(k)) for k in ks], rtol=1e-15)
    got = jax.jit(lambda k: s(k))(jnp.asarray(ks))
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-6)
    back = lrsched.from_dict(json.loads(json.dumps(lrsched.to_dict(s))))
    assert back == s
    np.testing.assert_array_equal(back(ks), want)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: sk.constant(0.0), ValueError, "eta0"),
        (lambda: sk.invscaling(0.1, power_t=-0.5), ValueError, "power_t"),
        (lambda: sk.invscaling(-0.1), ValueError, "eta0"),
        (lambda: sk.optimal(alpha=0.0), ValueError, "alpha"),
        (lambda: sk.optimal(alpha=jnp.asarray(0.1)), TypeError, "alpha"),
        (lambda: sk.optimal(alpha=0.1, loss="hinge2"), ValueError, "loss"),
        (lambda: sk.mlp_invscaling(n_samples=0), ValueError, "n_samples"),
        (lambda: sk.mlp_invscaling(n_samples=10, batch_size=0), ValueError, "batch_size"),
        (lambda: sk.mlp_invscaling(0.0, n_samples=10), ValueError, "learning_rate_init"),
        (lambda: sk.adaptive(tol=None), ValueError, "tol"),
        (lambda: sk.adaptive(n_iter_no_change=0), ValueError, "n_iter_no_change"),
        (lambda: sk.mlp_adaptive(tol=-1.0), ValueError, "tol"),
        (lambda: sk.mlp_adaptive(early_stopping=1), TypeError, "early_stopping"),
    ],
)
def test_bad_arguments_raise(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
