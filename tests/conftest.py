"""A strict test environment: JAX rank promotion raises, warnings are errors (pyproject), and
hypothesis runs a modest number of examples with no deadline (JIT compiles make timings noisy).

Select the hypothesis profile with ``HYPOTHESIS_PROFILE=ci`` (more examples, derandomized).
"""

import os

# Must be set before JAX is first imported anywhere in the test session.
os.environ["JAX_NUMPY_RANK_PROMOTION"] = "raise"
# Keras (the compat tests, lrsched.keras and its doctest) runs on the JAX backend.
os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")

settings.register_profile(
    "default",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
