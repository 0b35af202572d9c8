"""lrsched: learning-rate schedules as an algebra of pure functions.

One :class:`Schedule` object runs on Python numbers (fast, no NumPy or JAX), on NumPy arrays and
on JAX arrays under ``jit``/``vmap``/``grad``; it is a JAX pytree and a valid optax schedule.
Importing lrsched imports NumPy and JAX (run-time dependencies: schedules are registered as
pytrees when their classes are defined); a call on a Python number uses neither.
"""

from . import _warps  # noqa: F401  (timm's warps: node types whose configs load wherever lrsched is imported)
from ._combinators import chain as chain
from ._combinators import clip as clip
from ._combinators import join as join
from ._combinators import shift as shift
from ._combinators import warmup as warmup
from ._cycle import cycle as cycle
from ._cycle import per_epoch as per_epoch
from ._evaluate import evaluate as evaluate
from ._fn import fn as fn
from ._fn import register as register
from ._inspect import boundaries as boundaries
from ._node import Schedule as Schedule
from ._node import constant as constant
from ._node import maximum as maximum
from ._node import minimum as minimum
from ._plateau import Plateau as Plateau
from ._plateau import PlateauState as PlateauState
from ._plot import plot as plot
from ._primitives import cosine as cosine
from ._primitives import exponential as exponential
from ._primitives import inverse_sqrt as inverse_sqrt
from ._primitives import inverse_time as inverse_time
from ._primitives import linear as linear
from ._primitives import piecewise_constant as piecewise_constant
from ._primitives import ramp as ramp
from ._recipes import cyclic as cyclic
from ._recipes import noam as noam
from ._recipes import one_cycle as one_cycle
from ._recipes import piecewise_linear as piecewise_linear
from ._recipes import sgdr as sgdr
from ._recipes import tri_stage as tri_stage
from ._recipes import warmup_cosine as warmup_cosine
from ._recipes import warmup_linear as warmup_linear
from ._recipes import wsd as wsd
from ._serialize import from_dict as from_dict
from ._serialize import to_dict as to_dict
from ._stack import stack as stack

__version__ = "0.1.0"

__all__ = [
    "Plateau",
    "PlateauState",
    "Schedule",
    "boundaries",
    "chain",
    "clip",
    "constant",
    "cosine",
    "cycle",
    "cyclic",
    "evaluate",
    "exponential",
    "fn",
    "from_dict",
    "inverse_sqrt",
    "inverse_time",
    "join",
    "linear",
    "maximum",
    "minimum",
    "noam",
    "one_cycle",
    "per_epoch",
    "piecewise_constant",
    "piecewise_linear",
    "plot",
    "ramp",
    "register",
    "sgdr",
    "stack",
    "shift",
    "to_dict",
    "tri_stage",
    "warmup",
    "warmup_cosine",
    "warmup_linear",
    "wsd",
]
