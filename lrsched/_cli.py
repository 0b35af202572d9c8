"""The ``lrsched`` command line: ``plot``, ``show``, ``bench`` and ``demo``.

A SPEC is a JSON or YAML file holding a :func:`lrsched.to_dict` document, that document inline, or a
recipe name (``warmup_cosine``, ``wsd``, ... or a peer's ``torch.cosine_annealing_lr``) whose
arguments come from ``--set key=value``. Bad input gets a one-line error and exit status 2.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import re
import sys

EXIT_USAGE = 2

# public builders whose arguments are all plain data, so ``--set`` can give every one of them
RECIPES = (
    "warmup_cosine", "warmup_linear", "wsd", "one_cycle", "sgdr", "cyclic", "noam", "tri_stage",
    "constant", "linear", "cosine", "ramp", "exponential", "inverse_time", "inverse_sqrt",
    "piecewise_constant", "piecewise_linear",
)  # fmt: skip
PEERS = ("torch", "optax", "transformers", "keras", "timm", "fairseq", "sklearn")
SPARKS = "▁▂▃▄▅▆▇█"


class SpecError(Exception):
    """A SPEC or an option that cannot be used; the message is shown as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --------------------------------------------------------------------------------------------
# SPEC -> Schedule
# --------------------------------------------------------------------------------------------
_NAME = re.compile(r"^(?:(?:compat\.)?([a-z_]+)\.)?([a-z_][a-z0-9_]*)$")


def parse_set(items) -> dict:
    """``["peak=1e-3", "anneal=linear"]`` -> ``{"peak": 0.001, "anneal": "linear"}`` (JSON values,
    ``True``/``False``/``None`` too; anything else is a string)."""
    out: dict = {}
    for item in items or ():
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise SpecError(f"--set {item!r}: expected key=value")
        if key in out:
            raise SpecError(f"--set {key}: given twice")
        raw = raw.strip()
        py = {"True": True, "False": False, "None": None}
        if raw in py:
            out[key] = py[raw]
            continue
        try:
            v = json.loads(raw)
        except ValueError:
            v = raw
        if isinstance(v, float) and not math.isfinite(v):
            raise SpecError(f"--set {key}={raw}: must be finite")
        out[key] = v
    return out


def _recipe(name: str):
    """The builder a recipe name refers to, or raise :class:`SpecError`."""
    import importlib

    import lrsched

    m = _NAME.match(name)
    if m is None:
        raise SpecError(f"SPEC={name!r}: not a JSON file, inline JSON or a recipe name")
    peer, fname = m.groups()
    if peer is None:
        if fname in RECIPES:
            return getattr(lrsched, fname)
        raise SpecError(
            f"SPEC={name!r}: unknown recipe{_did_you_mean(fname, RECIPES)} "
            f"(recipes: {', '.join(RECIPES)}; or a peer's, as torch.step_lr)"
        )
    if peer not in PEERS:
        raise SpecError(f"SPEC={name!r}: unknown peer {peer!r} (peers: {', '.join(PEERS)})")
    try:
        mod = importlib.import_module(f"lrsched.compat.{peer}")
    except ModuleNotFoundError as e:
        if e.name != f"lrsched.compat.{peer}":
            raise
        raise SpecError(f"SPEC={name!r}: lrsched.compat.{peer} is not available") from None
    public = getattr(mod, "__all__", None)
    if public is None:
        public = [n for n, f in vars(mod).items() if inspect.isfunction(f) and f.__module__ == mod.__name__]
    public = [n for n in public if not n.startswith("_")]
    if fname not in public:
        raise SpecError(
            f"SPEC={name!r}: not in lrsched.compat.{peer}{_did_you_mean(fname, public)} "
            f"(it has: {', '.join(sorted(public))})"
        )
    return getattr(mod, fname)


def _did_you_mean(word, options) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``options`` (difflib's ratio), else ``""``."""
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _check_keys(name, f, kwargs) -> None:
    """Unknown ``--set`` keys are reported by name (with the closest argument) before anything
    is reported missing: a misspelt required key is a typo, not an omission."""
    params = inspect.signature(f).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    names = [n for n, p in params.items() if p.kind is not p.VAR_POSITIONAL]
    for key in kwargs:
        if key not in names:
            raise SpecError(
                f"--set {key}: not an argument of {name}{_did_you_mean(key, names)} (arguments: {_signature(f)})"
            )


def _load_json(text, where):
    try:
        return json.loads(text)
    except ValueError as e:
        raise SpecError(f"{where}: not valid JSON ({e})") from None


def _load_yaml(text, where):
    try:
        import yaml
    except ImportError:
        raise SpecError(
            f"{where}: reading YAML needs PyYAML (pip install pyyaml); or write the document as JSON"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SpecError(f"{where}: not valid YAML ({' '.join(str(e).split())})") from None


_FLOAT_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _yaml_number_hint(doc) -> str:
    """PyYAML follows YAML 1.1, where ``3e-5`` (no dot) is a string, not a number: name such values."""
    found: list[str] = []
    todo = [doc]
    while todo and len(found) < 3:
        x = todo.pop()
        if isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, list):
            todo.extend(x)
        elif isinstance(x, str) and _FLOAT_TEXT.match(x):
            found.append(x)
    if not found:
        return ""
    fixed = re.sub(r"^([+-]?\d+)([eE])", r"\1.0\2", found[0])
    return f" (YAML reads {', '.join(repr(f) for f in found)} as text, not a number: write a decimal point, as {fixed})"


def _signature(f) -> str:
    parts = []
    for p in inspect.signature(f).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        elif p.kind is not p.VAR_POSITIONAL:
            parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


def load_spec(spec: str, sets=None):
    """A :class:`lrsched.Schedule` from a SPEC (JSON file, inline JSON or recipe name) and ``--set``
    items; raises :class:`SpecError` with a one-line message on any bad input."""
    import lrsched

    kwargs = parse_set(sets)
    text, yaml = None, False
    if spec.lstrip().startswith("{"):
        text, where = spec, "inline JSON"
    elif spec.endswith((".json", ".yaml", ".yml")) or os.sep in spec or (spec not in RECIPES and os.path.isfile(spec)):
        try:
            with open(spec, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise SpecError(f"SPEC={spec!r}: cannot read it ({e.strerror or e})") from None
        where, yaml = spec, spec.endswith((".yaml", ".yml"))
    if text is not None:
        if kwargs:
            raise SpecError("--set applies to a recipe name; edit the document instead")
        doc = _load_yaml(text, where) if yaml else _load_json(text, where)
        try:
            s = lrsched.from_dict(doc)
        except (ValueError, TypeError, RecursionError) as e:
            hint = _yaml_number_hint(doc) if yaml else ""
            raise SpecError(f"{where}: {e}{hint}") from None
    else:
        f = _recipe(spec)
        _check_keys(spec, f, kwargs)
        try:
            inspect.signature(f).bind(**kwargs)
        except TypeError as e:
            raise SpecError(f"{spec}: {e} (arguments: {_signature(f)})") from None
        try:
            s = f(**kwargs)
        except (ValueError, TypeError, ArithmeticError) as e:
            raise SpecError(f"{spec}: {e}") from None
    if not isinstance(s, lrsched.Schedule):
        raise SpecError(f"SPEC={spec!r}: gives a {type(s).__name__}, not a schedule")
    return s


# --------------------------------------------------------------------------------------------
# show
# --------------------------------------------------------------------------------------------
def sparkline(values, width: int = 64) -> str:
    """The curve as ``width`` unicode block characters (each the mean of its share of the steps)."""
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return ""
    cols = [c for c in np.array_split(v, min(width, v.size)) if c.size]
    means = np.array([np.mean(c) if np.all(np.isfinite(c)) else np.nan for c in cols])
    ok = np.isfinite(means)
    if not ok.any():
        return " " * len(means)
    lo, hi = float(means[ok].min()), float(means[ok].max())
    out = []
    for m in means:
        if not math.isfinite(m):
            out.append(" ")
        elif hi == lo:
            out.append(SPARKS[3])
        else:
            out.append(SPARKS[min(7, int((m - lo) / (hi - lo) * 7 + 0.5))])
    return "".join(out)


def key_points(s, num_steps: int, start: int = 0, *, max_boundaries: int = 20):
    """(rows, values, boundaries): rows are ``(step, value, notes)`` for the first and last step,
    each phase boundary, the minimum and the maximum; ``boundaries`` is None when there are too many."""
    from ._plot import _values, phase_boundaries

    y = _values(s, num_steps, start)
    stop = start + num_steps
    bounds = phase_boundaries(s, start, stop, limit=max_boundaries)
    notes: dict[int, list[str]] = {}

    def add(step, note):
        notes.setdefault(int(step), []).append(note)

    add(start, "start")
    for b in bounds or ():
        k = math.ceil(b)
        if k < stop:
            add(k, "phase" if k == b else f"phase (at {b:.10g})")
    finite = [i for i in range(len(y)) if math.isfinite(y[i])]
    if finite:
        import numpy as np

        fy = np.where(np.isfinite(y), y, np.nan)
        add(start + int(np.nanargmin(fy)), "min")
        add(start + int(np.nanargmax(fy)), "max")
    add(stop - 1, "end")
    rows = [(k, float(y[k - start]), ", ".join(dict.fromkeys(n))) for k, n in sorted(notes.items())]
    return rows, y, bounds


def _show(args) -> int:
    s = load_spec(args.spec, args.set)
    rows, y, bounds = key_points(s, args.num_steps, args.start)
    print(repr(s))
    print(f"steps {args.start}..{args.start + args.num_steps - 1}")
    w = max(4, max(len(str(k)) for k, _, _ in rows))
    print(f"  {'step':>{w}}  {'value':<12}  ")
    for k, v, note in rows:
        print(f"  {k:>{w}}  {v:<12.6g}  {note}")
    if bounds is None:
        print("  (more than 20 phase boundaries: not listed)")
    print(sparkline(y, args.width))
    return 0


# --------------------------------------------------------------------------------------------
# plot
# --------------------------------------------------------------------------------------------
def _plot(args) -> int:
    s = load_spec(args.spec, args.set)
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SpecError("plot needs matplotlib: pip install 'lrsched[plot]'") from None
    from ._plot import plot

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    plot(s, args.num_steps, ax=ax, log_y=args.log_y, start=args.start)
    title = repr(s)
    ax.set_title(title if len(title) <= 90 else title[:87] + "...", fontsize=9)
    out = args.output or _default_png(args.spec, s)
    try:
        fig.savefig(out, dpi=args.dpi)
    except (OSError, ValueError) as e:
        raise SpecError(f"-o {out}: cannot write it ({e})") from None
    print(f"wrote {os.path.abspath(out)}")
    return 0


def _default_png(spec: str, s) -> str:
    """Where ``plot`` writes without ``-o``: ``<recipe>.png``, ``<file name>.png`` or, for inline
    JSON, ``<its type>.png``, in the working directory."""
    if spec.lstrip().startswith("{"):
        stem = type(s).__name__.lower()
        try:
            t = json.loads(spec).get("type")
        except (ValueError, AttributeError):
            t = None
        if isinstance(t, str) and re.fullmatch(r"[A-Za-z0-9_.]{1,64}", t):
            stem = t
    else:
        stem = os.path.splitext(os.path.basename(spec))[0] or "schedule"
    return f"{stem}.png"


# --------------------------------------------------------------------------------------------
# bench, demo
# --------------------------------------------------------------------------------------------
def _bench(argv) -> int:
    try:
        from ._bench import main as bench_main
    except ModuleNotFoundError as e:
        if e.name != "lrsched._bench":
            raise
        raise SpecError("bench: the benchmark suite (lrsched._bench) is not installed") from None
    try:
        return bench_main(argv)
    except SystemExit as e:  # its own option parser: --help, or a bad option
        return e.code if isinstance(e.code, int) else EXIT_USAGE


def _demo_schedules():
    import lrsched

    return {
        "warmup_cosine": lrsched.warmup_cosine(1e-3, 1000, 100, end=1e-5),
        "wsd": lrsched.wsd(1e-3, 1000, 100, 0.2),
        "one_cycle": lrsched.one_cycle(1e-3, 1000),
        "sgdr": lrsched.sgdr(1e-3, 100, period_mult=2, warmup_steps=50),
        "join + cycle": lrsched.join(
            [
                lrsched.warmup_cosine(1e-3, 500, 50, end=2e-4),
                lrsched.cycle(lrsched.cosine(2e-4, 2e-5, 100), 100, decay=0.7),
            ],
            [500],
        ),
    }


def _demo_gallery(schedules, path) -> None:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("  (matplotlib is not installed: no gallery; pip install 'lrsched[plot]')")
        return
    from ._plot import plot

    fig = Figure(figsize=(13, 7), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    for ax, (name, s) in zip(axes, schedules.items()):
        plot(s, 1000, ax=ax)
        ax.set_title(name)
    plot(schedules, 1000, ax=axes[-1], log_y=True)
    axes[-1].set_title("all five, log scale")
    axes[-1].legend(fontsize=7)
    fig.suptitle("lrsched: dotted lines mark phase boundaries")
    try:
        fig.savefig(path, dpi=90)
    except (OSError, ValueError) as e:
        raise SpecError(f"-o {path}: cannot write it ({e})") from None
    print(f"  wrote {path}")


def _digits():
    """scikit-learn's digits, standardised, split 1437 / 360 with a fixed permutation."""
    import numpy as np
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    idx = np.random.default_rng(0).permutation(len(y))
    tr, te = idx[:1437], idx[1437:]
    return x[tr].astype("float32"), y[tr], x[te].astype("float32"), y[te]


def _train_torch(s, data, steps):
    import torch

    xtr, ytr, xte, yte = (torch.as_tensor(a) for a in data)
    w = torch.zeros(64, 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=s(0))
    try:
        from .torch import ScheduleLR
    except ImportError:  # the adapter is optional here: set the lr by hand
        sched, how = None, "param_group['lr'] = schedule(k)"
    else:
        sched, how = ScheduleLR(opt, s), "lrsched.torch.ScheduleLR"
    losses, lr_err = [], 0.0
    for k in range(steps):
        if sched is None:
            for g in opt.param_groups:
                g["lr"] = s(k)
        lr_err = max(lr_err, abs(float(opt.param_groups[0]["lr"]) - s(k)))
        loss = torch.nn.functional.cross_entropy(xtr @ w + b, ytr)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    with torch.no_grad():
        acc = float(((xte @ w + b).argmax(1) == yte).float().mean())
    return losses, acc, how, lr_err


def _train_optax(s, data, steps):
    import jax
    import jax.numpy as jnp
    import optax

    xtr, ytr, xte, yte = (jnp.asarray(a) for a in data)
    opt = optax.adam(s)

    def logits(p, x):
        return x @ p[0] + p[1][None, :]

    def loss_fn(p):
        return optax.softmax_cross_entropy_with_integer_labels(logits(p, xtr), ytr).mean()

    def one(carry, _):
        p, st = carry
        loss, g = jax.value_and_grad(loss_fn)(p)
        u, st = opt.update(g, st, p)
        return (optax.apply_updates(p, u), st), loss

    @jax.jit
    def train(p):
        return jax.lax.scan(one, (p, opt.init(p)), None, length=steps)

    p0 = (jnp.zeros((64, 10)), jnp.zeros(10))
    (p, _), losses = train(p0)
    acc = float(jnp.mean(jnp.argmax(logits(p, xte), 1) == yte))
    return [float(v) for v in losses], acc


def _demo_train(steps=300) -> None:
    import lrsched

    try:
        data = _digits()
    except ImportError:
        print("  (scikit-learn is not installed: no training run)")
        return
    s = lrsched.warmup_cosine(0.05, steps, 30, end=1e-4)
    print(f"  softmax regression on scikit-learn digits (1437 train / 360 test), Adam, {steps} full-batch updates")
    print(f"  schedule: {s!r}")
    ox, ox_acc = _train_optax(s, data, steps)
    try:
        th, th_acc, how, lr_err = _train_torch(s, data, steps)
    except ImportError:
        th, th_acc, how, lr_err = None, None, None, None
        print("  (torch is not installed: optax only)")
    print(f"  {'update':>6}  {'lr':>10}  {'optax loss':>10}  {'torch loss':>10}")
    for k in (0, 10, 30, 100, 200, steps - 1):
        t = f"{th[k]:>10.5f}" if th else f"{'-':>10}"
        print(f"  {k:>6}  {s(k):>10.3e}  {ox[k]:>10.5f}  {t}")
    print(f"  test accuracy: optax {ox_acc:.1%}" + (f", torch {th_acc:.1%}" if th else ""))
    if th:
        print(f"  torch lr set by {how}; max |lr - schedule(k)| over all updates: {lr_err:.1e}")


def _time(f, number, repeat=3):
    import time

    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            f()
        best = min(best, (time.perf_counter() - t) / number)
    return best


def _fmt_time(t) -> str:
    for unit, f in (("s", 1.0), ("ms", 1e3), ("µs", 1e6)):
        if t * f >= 1:
            return f"{t * f:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def _demo_bench(n=10**6) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    import lrsched

    s = lrsched.warmup_cosine(1.0, 10_000, 100)
    o = optax.warmup_cosine_decay_schedule(0.0, 1.0, 100, 10_000)
    oj = jax.jit(o)
    float(oj(5000))
    rows = [
        ("one call, Python int step", "lrsched schedule(k)", _time(lambda: s(5000), 20_000)),
        ("", "optax schedule, eager", _time(lambda: float(o(5000)), 10)),
        ("", "optax schedule, jit", _time(lambda: float(oj(5000)), 300)),
    ]
    big = lrsched.warmup_cosine(1.0, n, n // 100)
    obig = optax.warmup_cosine_decay_schedule(0.0, 1.0, n // 100, n)
    odense = jax.jit(lambda: obig(jnp.arange(n)))
    lrsched.evaluate(big, n).block_until_ready()
    odense().block_until_ready()
    rows += [
        (
            f"{n:,} steps, dense",
            "lrsched.evaluate (jax)",
            _time(lambda: lrsched.evaluate(big, n).block_until_ready(), 3),
        ),
        ("", "lrsched.evaluate (numpy)", _time(lambda: lrsched.evaluate(big, n, backend="numpy"), 1)),
        ("", "optax, jit over jnp.arange", _time(lambda: odense().block_until_ready(), 3)),
    ]
    print(f"  {'':<28}{'':<28}{'time':>10}  {'/ lrsched':>9}")
    base = None
    for what, who, t in rows:
        base = t if what else base
        print(f"  {what:<28}{who:<28}{_fmt_time(t):>10}  {t / base:>8.1f}x")
    print("  (best of 3 on this machine; the full suite with peers and ratios: lrsched bench)")


def _demo(args) -> int:
    import time

    import numpy as np

    import lrsched

    t0 = time.perf_counter()
    print("lrsched demo: one schedule object for Python, NumPy, JAX, PyTorch and optax\n")
    print("1. Compose schedules (a sparkline of each over 1000 steps)")
    schedules = _demo_schedules()
    for name, s in schedules.items():
        print(f"  {name:<14} {sparkline(lrsched.evaluate(s, 1000, backend='numpy'), 50)}")
    print(f"  the last one is {schedules['join + cycle']!r}")

    print("\n2. One schedule, three backends: Python float, NumPy array, JAX under jit")
    import jax
    import jax.numpy as jnp

    s = schedules["warmup_cosine"]
    steps = [0, 50, 100, 500, 999, 5000]
    npv, jxv = s(np.array(steps)), np.asarray(jax.jit(s)(jnp.array(steps)))
    print(f"  {'step':>6}  {'python':>12}  {'numpy':>12}  {'jax (jit)':>12}")
    for k, b, c in zip(steps, npv, jxv):
        print(f"  {k:>6}  {s(k):>12.6e}  {b:>12.6e}  {c:>12.6e}")

    print("\n3. Gallery")
    _demo_gallery(schedules, args.output)
    print("\n4. The same schedule drives optax and PyTorch")
    _demo_train()
    print("\n5. Speed")
    _demo_bench()
    print(f"\ndone in {time.perf_counter() - t0:.1f} s")
    return 0


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------
def _int_at_least(low):
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected an integer") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"{text!r}: must be >= {low}")
        return v

    return parse


_positive, _nonneg = _int_at_least(1), _int_at_least(0)
MAX_STEPS = 10**8  # show and plot evaluate every step in memory (8 bytes each)


def _num_steps(text):
    v = _positive(text)
    if v > MAX_STEPS:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_STEPS:,} steps")
    return v


def _spec_args(p):
    p.add_argument("spec", metavar="SPEC", help="a JSON file, inline JSON (a to_dict document) or a recipe name")
    p.add_argument("-n", "--num-steps", type=_num_steps, required=True, help="how many steps")
    p.add_argument("--start", type=_nonneg, default=0, help="the first step (default 0)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a recipe argument (a JSON value); repeat it")


def parser() -> argparse.ArgumentParser:
    from . import __version__

    p = _Parser(prog="lrsched", description="Learning-rate schedules as pure functions.")
    p.add_argument("--version", action="version", version=f"lrsched {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{plot,show,bench,demo}")
    pl = sub.add_parser("plot", help="plot a schedule to an image file")
    _spec_args(pl)
    pl.add_argument("-o", "--output", metavar="FILE.png", help="the image to write (default: SPEC's name .png, here)")
    pl.add_argument("--log-y", action="store_true", help="a logarithmic y axis")
    pl.add_argument("--dpi", type=_positive, default=120)
    pl.set_defaults(func=_plot)
    sh = sub.add_parser("show", help="the key points of a schedule and a sparkline, in the terminal")
    _spec_args(sh)
    sh.add_argument("--width", type=_positive, default=64, help="sparkline width (default 64)")
    sh.set_defaults(func=_show)
    sub.add_parser("bench", help="the benchmark suite, with a progress bar (options: lrsched bench --help)")
    d = sub.add_parser("demo", help="compose schedules, plot them, train with torch and optax, time them")
    d.add_argument(
        "-o", "--output", default="lrsched-gallery.png", help="the gallery image (default lrsched-gallery.png)"
    )
    d.set_defaults(func=_demo)
    return p


def _unknown_option(args, extra) -> str:
    """The message for options argparse does not know; ``--peak 1e-3`` is a recipe argument."""
    first = extra[0]
    if first.startswith("--") and args.command in ("plot", "show") and len(first) > 2:
        key, eq, value = first[2:].partition("=")
        if not eq and len(extra) > 1 and not extra[1].startswith("--"):
            value = extra[1]
        if key.replace("-", "_").isidentifier():
            return (
                f"unrecognized option {first}: recipe arguments are given with --set, "
                f"as --set {key.replace('-', '_')}={value or 'VALUE'}"
            )
    return f"unrecognized arguments: {' '.join(extra)} (see lrsched {args.command} --help)"


def main(argv=None) -> int:
    """Run the ``lrsched`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["bench"]:
            return _bench(argv[1:])
        try:
            args, extra = parser().parse_known_args(argv)
        except SystemExit as e:
            return e.code if isinstance(e.code, int) else EXIT_USAGE
        if extra:
            raise SpecError(_unknown_option(args, extra))
        return args.func(args)
    except SpecError as e:
        sys.stderr.write(f"lrsched: error: {e}\n")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
