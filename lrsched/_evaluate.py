"""Dense evaluation over many steps, and batches of schedules.

``evaluate`` is the fast path: the steps are generated inside the compiled computation (an iota,
never an array read from memory), every piece of a join is evaluated only over its own range of
steps, and the compiled program is cached per schedule structure, ``num_steps``, layout of the
window (see :func:`layout`), dtype and ``jax_enable_x64``. The float values and ``start`` are
arguments, so a new peak value, or a window sliding inside one phase, does not recompile. The
values that shape a formula (a polynomial's power, a cosine's exponent; see
``Schedule._shaping``) are constants of the program, and so are all the values of a schedule of
more than ``MAX_PACKED`` of them, such as a join of thousands of pieces. At most 64 programs are
kept; the least recently used is dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _sweep
from . import _validate as V
from ._backend import JX, NP, x64
from ._node import Schedule, schedule_arg, shaping_leaves
from ._once import once
from ._stack import Stack
from ._tables import TABLES, dense, dense_numpy, layout


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------
def _layout_any(s, start, n):
    """The compile key's layout: whether the window starts at 0 (a static start), and the rest.

    The last few layouts are kept on the node: a join of many pieces takes a while to lay out.
    """
    cache = s.__dict__.setdefault("_layouts", OrderedDict())
    key = (start, n, x64())
    lay = cache.get(key)
    if lay is None:
        if isinstance(s, Stack):  # and the members' varying values, where they are linear in them
            lay = (start == 0, layout(s.schedule, start, n, JX), _sweep.plan(s))
        else:
            lay = (start == 0, layout(s, start, n, JX))
        cache[key] = lay
        if len(cache) > _LAYOUTS_KEPT:
            cache.popitem(last=False)
    return lay


_LAYOUTS_KEPT = 8


class _Hashed(tuple):
    """A key hashed once: a program's key holds the schedule's structure and the window's layout,
    and hashing those of a join of 1000 pieces at every call cost more than the call's own work."""

    def __hash__(self):
        h = self.__dict__.get("hash")
        if h is None:
            h = self.__dict__["hash"] = tuple.__hash__(self)
        return h


def _program_key(s, key):
    """``key`` as a :class:`_Hashed` kept on the node (the same object at every call, so the
    programs' cache finds it by its stored hash and by identity)."""
    kept = s.__dict__.setdefault("_keys", OrderedDict())
    short = tuple(id(x) for x in key[1:3]) + key[3:] + (key[0],)  # the structure and layout by identity
    hit = kept.get(short)
    if hit is None or hit[1] is not key[1] or hit[2] is not key[2]:
        hit = kept[short] = _Hashed(key)
        if len(kept) > _LAYOUTS_KEPT:
            kept.popitem(last=False)
    return hit


def _dense_any(s, start, n, lay, static_start=True):
    return once(_dense_one, s, 0 if lay[0] and static_start else start, n, lay)


def _dense_one(s, start, n, lay):
    if isinstance(s, Stack):
        if lay[2] is not None:
            return _sweep.dense_stack(s, start, n, lay[1], lay[2])
        return jax.vmap(lambda c: dense(c, start, n, JX, lay[1]))(s.schedule)
    return dense(s, start, n, JX, lay[1])


def _with_tables(mode, items, f):
    t = TABLES
    saved = (t.mode, t.items, t.pos)
    t.mode, t.items, t.pos = mode, items, 0
    try:
        return f()
    finally:
        t.mode, t.items, t.pos = saved


class _Program:
    """The compiled programs of one evaluation: a first program that traces the values while
    recording the computed tables, and, where there are tables, the values program that reads
    them.

    A schedule without tables (most nested and few-piece ones) has its first program as its
    values program: one trace and one compile, not two of each.
    """

    def __init__(self, mode, structure, lay, n, dtype, rows=1, older=False):
        out_dtype = dtype if dtype is not None else jnp.result_type(float)

        def schedule(arg):
            if mode == "packed":
                return _unpack(arg, structure)
            return structure if mode == "constant" else arg

        def values(table_mode, items, arg, start):
            try:
                # with its values as constants, a program whose start were constant too would be
                # folded whole by XLA at compile time (seconds for a few million steps)
                dense = lambda: _dense_any(schedule(arg), start, n, lay, static_start=mode != "constant")  # noqa: E731
                out = _with_tables(table_mode, items, dense)
                return out.astype(out_dtype)
            finally:
                TABLES.packed = None

        def tables(arg, start):
            items: list = []
            out = values("record", items, arg, start)
            self.needs_tables = bool(items)
            if items:  # the values are dropped: computed again by ``run`` from the tables
                return items
            _PROGRAMS.traces += 1
            return out

        def run(arg, items, start):
            _PROGRAMS.traces += 1
            return values("replay", list(items), arg, start)

        self.options = _compile_options(n * rows, older)
        self.tables, self.run = jax.jit(tables), jax.jit(run)
        self.inner = self.tables, self.run  # the programs of a call inside a trace (no options there)
        if self.options is not None:
            self.tables = jax.jit(tables, compiler_options=self.options)
            self.run = jax.jit(run, compiler_options=self.options)
        self.needs_tables: bool | None = None  # known once ``tables`` is traced

    def __call__(self, arg, start):
        if self.options is None or not _top_level():
            tables, run = self.inner
            out = tables(arg, start)
            return run(arg, out, start) if self.needs_tables else out
        try:
            out = self.tables(arg, start)
        except Exception as e:  # an XLA without the option: the default emitter, from now on
            if "compile option" not in str(e):
                raise
            _CPU_OPTIONS.clear()
            self.options = None
            self.tables, self.run = self.inner
            out = self.tables(arg, start)
        return self.run(arg, out, start) if self.needs_tables else out


def _top_level() -> bool:
    """Whether no JAX transformation is tracing this call (compile options are for such a call)."""
    return _trace_state_clean is not None and bool(_trace_state_clean())


_trace_state_clean: Callable[[], bool] | None
try:  # JAX's own test of an active trace; without it, every call takes the default options
    from jax._src.core import trace_state_clean as _trace_state_clean
except ImportError:  # pragma: no cover - JAX versions that moved it
    _trace_state_clean = None


# XLA's CPU compiler has two emitters for fused elementwise loops. For an output of up to 2**17
# values, where compiling is most of a first evaluation, the older one compiles 10-45% faster
# (nesting depth 16 at 1e5 steps: 200 -> 120 ms) and its loops run as fast or faster. A window that
# is one elementwise loop (``Schedule._one_loop``: a formula of a few pieces) takes it at every
# size: it indexes the loop in 32 bits where the default one carries a 64-bit index through each
# vector (31 instructions per 16 values against 38 for a warmup + cosine), and such loops ran
# 5-25% faster at 1e6 and 3e6 steps (warmup + cosine, wsd, one_cycle, a cosine with an exponent, a
# shift, SGDR of doubling cycles or of partial ones). Other programs keep the default emitter above
# 2**17 values: whole cycles written from one cycle's values took an index division per value with
# the older one, 4-6x slower (sgdr at 1e7 steps: 11 ms, against 20), a per-epoch window 2x, and a
# warmup beside an inverse square root (noam) up to 1.4x.
SMALL_OUTPUT = 1 << 17
_SMALL_OPTIONS = {"xla_cpu_use_fusion_emitters": False}
# A dense loop is compute-bound below a few million steps (a cosine's polynomial, the selects
# between pieces), and XLA's CPU compiler vectorises for 256-bit registers unless told otherwise:
# where the host has 512-bit ones (AVX-512), a loop of warmup + cosine over 1e6 steps then runs in
# 0.3 ms instead of 0.45. On a host without them the compiler keeps the widest it has.
_WIDE_OPTIONS = {"xla_cpu_prefer_vector_width": 512}
_CPU_OPTIONS = [_WIDE_OPTIONS, _SMALL_OPTIONS]  # emptied if this XLA rejects them


def _compile_options(size, older=False):
    """The CPU compile options of a program of ``size`` values; ``older``: the older emitter at
    any size (a window that is one elementwise loop)."""
    if not _CPU_OPTIONS or jax.default_backend() != "cpu":
        return None
    return {**_WIDE_OPTIONS, **(_SMALL_OPTIONS if size <= SMALL_OUTPUT or older else {})}


class _Programs:
    """Compiled programs by key, at most ``maxsize`` of them; the least recently used is dropped.

    A dropped program takes its compiled executables with it, so memory stays bounded however
    many distinct structures are evaluated. ``traces`` counts the value programs traced.
    """

    def __init__(self, maxsize):
        self.maxsize = maxsize
        self.traces = 0
        self._programs: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._programs)

    def find(self, key):
        """The program of ``key`` (now the most recently used), or None."""
        with self._lock:
            program = self._programs.get(key)
            if program is not None:
                self._programs.move_to_end(key)
            return program

    def get(self, key, make):
        with self._lock:
            program = self._programs.get(key)
            if program is not None:
                self._programs.move_to_end(key)
                return program
        program = make()
        with self._lock:
            program = self._programs.setdefault(key, program)
            while len(self._programs) > self.maxsize:
                self._programs.popitem(last=False)
        return program


_PROGRAMS = _Programs(maxsize=64)
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def _float_dtype(dtype):
    """``dtype`` as a NumPy dtype when it names a real floating type; None stays None."""
    if dtype is None:
        return None
    try:
        d = np.dtype(dtype)
    except TypeError:
        if dtype != "bfloat16":
            d = None
        else:
            import ml_dtypes

            d = np.dtype(ml_dtypes.bfloat16)
    if d is None or d.name not in _FLOAT_DTYPES:
        raise TypeError(f"dtype={V.show(dtype)}: expected None or a real floating dtype ({', '.join(_FLOAT_DTYPES)})")
    return d.newbyteorder("=")


def evaluate(schedule, num_steps, *, start=0, backend="jax", dtype=None):
    """The schedule's values at steps ``start .. start + num_steps - 1`` as one array.

    This is the fast path for dense evaluation: with ``backend="jax"`` one compiled program
    (cached per schedule structure, ``num_steps`` and ``dtype``, the values that shape its
    formulas, such as a polynomial's power or a cosine's exponent, and the pieces the window
    touches with how many steps in each; peaks, floors and ``start`` are arguments, so windows of one length
    inside one phase share a program, and only a window that starts at step 0 or exactly at a
    piece's first step, or crosses a boundary at a new place, compiles again) generates the steps
    itself and evaluates each piece of a join only over its own range. ``backend="numpy"`` gives
    a NumPy float64 array.

    Args:
        schedule: a schedule, or a batch from :func:`stack` (the result is then ``(batch, num_steps)``).
        num_steps: how many steps (>= 0).
        start: the first step (>= 0).
        backend: ``"jax"`` or ``"numpy"``.
        dtype: the output dtype, None or a real floating dtype (float16, bfloat16, float32,
            float64; default: JAX's default float, or float64 for NumPy). Under JAX without
            x64, float64 gives float32 with JAX's warning. Anything else raises ``TypeError``.

    Example:
        >>> import lrsched
        >>> s = lrsched.warmup_cosine(1.0, 110, 10)
        >>> lrsched.evaluate(s, 3, start=8, backend="numpy")
        array([0.8, 0.9, 1. ])
    """
    again = _again(schedule, num_steps, start, backend, dtype)
    if again is not None:
        return again
    if not isinstance(schedule, Stack):
        schedule_arg("schedule", schedule)
    num_steps = V.steps("num_steps", num_steps, allow_float=False)
    start = V.steps("start", start, allow_float=False)
    V.choice("backend", backend, ("jax", "numpy"))
    dtype = _float_dtype(dtype)
    hi = (NP if backend == "numpy" else JX).step_hi
    if start + max(num_steps, 1) - 1 > hi:
        hint = "" if hi > 2**31 else "; enable jax_enable_x64 (jax.config.update) or use backend='numpy'"
        raise ValueError(f"{start=}, {num_steps=}: steps past {hi} do not fit {backend}'s integer steps{hint}")
    if backend == "numpy":
        if isinstance(schedule, Stack):
            raise ValueError("backend='numpy': a stacked schedule evaluates with backend='jax'")
        if not schedule._plain:
            raise ValueError("backend='numpy': the schedule has JAX array leaves; use backend='jax'")
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # IEEE, as the pointwise path
            return dense_numpy(schedule, start, num_steps, dtype)
    if not schedule._plain:
        mode, structure, arg = "tree", jax.tree_util.tree_structure(schedule), schedule
    elif _leaf_count(schedule) <= MAX_PACKED:
        # one array argument instead of one per value: a join of 1000 pieces would otherwise pay
        # for 2000 scalar arguments at every call
        mode, (structure, arg) = "packed", _packed(schedule)
    else:  # the values as constants of the program (the schedule itself is the key)
        mode, structure, arg = "constant", schedule, np.zeros(0, np.float32)
    lay = _layout_any(schedule, start, num_steps)
    key = _program_key(schedule, (mode, structure, lay, num_steps, dtype, x64()))
    rows = schedule.size if isinstance(schedule, Stack) else 1
    older = not isinstance(schedule, Stack) and schedule._one_loop(lay[1])
    program = _PROGRAMS.get(key, lambda: _Program(mode, structure, lay, num_steps, dtype, rows, older))
    start_arg = np.asarray(start, dtype=np.int64 if x64() else np.int32)
    if mode != "tree" and _top_level():  # on the device once: a NumPy argument is copied at every call
        arg, start_arg = jax.device_put((arg, start_arg))
    if dtype is None:
        calls = schedule.__dict__.setdefault("_calls", OrderedDict())
        calls[(num_steps, start, x64())] = (key, arg, start_arg)
        if len(calls) > _LAYOUTS_KEPT:
            calls.popitem(last=False)
    return program(arg, start_arg)


def _again(schedule, num_steps, start, backend, dtype):
    """The values of a call already made with these very arguments (Python ints, the JAX backend,
    the default dtype), from its program, or None.

    Such a call was checked and laid out before, and at a million steps that work cost as much
    as a sixth of the call: the window's values are written in about 0.3 ms here.
    """
    if dtype is not None or backend != "jax" or type(num_steps) is not int or type(start) is not int:
        return None
    calls = getattr(schedule, "__dict__", {}).get("_calls")
    hit = None if calls is None else calls.get((num_steps, start, x64()))
    if hit is None:
        return None
    program = _PROGRAMS.find(hit[0])
    return None if program is None else program(hit[1], hit[2])


MAX_PACKED = 4096
"""A plain schedule with more float values than this is compiled with its values as constants: a
new value then compiles again, but the program does not take one scalar per value apart (for a
join of 100,000 pieces that took 13 s of tracing and 9 s of compiling; as constants, 2 s)."""


def _leaf_count(s: Schedule) -> int:
    n = s.__dict__.get("_leaf_count")
    if n is None:
        n = s.__dict__["_leaf_count"] = len(jax.tree_util.tree_leaves(s))
    return n


def _packed(s: Schedule):
    """The structure and the float values (one array) of a plain schedule; cached on the node.

    The structure is the tree's and the plain values of its shaping fields (see
    ``Schedule._shaping``), which the program holds as constants: a power of 2 is then a product,
    not a general power per step (12x slower here). A new peak or floor is a new argument, a
    new power a new program."""
    dt = np.dtype(jnp.result_type(float))
    cache = s.__dict__.setdefault("_packed", {})
    p = cache.get(dt)
    if p is None:
        leaves, treedef = jax.tree_util.tree_flatten(s)
        shaping = shaping_leaves(s, len(leaves))
        consts = tuple((i, leaves[i]) for i in shaping if type(leaves[i]) is float)
        fixed = {i for i, _ in consts}
        values = np.asarray([v for i, v in enumerate(leaves) if i not in fixed], dtype=dt)
        p = cache[dt] = ((treedef, consts), values)
    return p


def _unpack(values, structure):
    treedef, consts = structure
    n = values.shape[0]
    parts = lax.split(values, [1] * n) if n else []  # one op with n outputs, not n slices
    given = iter(p.reshape(()) for p in parts)
    fixed = dict(consts)
    leaves = [fixed[i] if i in fixed else next(given) for i in range(n + len(fixed))]
    # where values are gathered again (a run of like ramps) they are taken from ``values`` in one
    # gather by index: stacking thousands of scalars made XLA's compile time grow quadratically
    TABLES.packed = (values, {id(x): i for i, x in enumerate(x for x in leaves if type(x) is not float)})
    return treedef.unflatten(leaves)
