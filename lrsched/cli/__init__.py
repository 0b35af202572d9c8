"""The ``lrsched`` command line: ``plot``, ``show``, ``bench`` and ``demo``.

A SPEC is a JSON or YAML file holding a :func:`lrsched.to_dict` document, that document inline, or a
recipe name (``warmup_cosine``, ``wsd``, ... or a peer's ``torch.cosine_annealing_lr``) whose
arguments come from ``--set key=value`` (:mod:`lrsched.cli.spec`). Bad input gets a one-line error
and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .demo import _demo
from .show import plot_command, show
from .spec import SpecError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _bench(argv) -> int:
    """Run the benchmark suite of the source checkout this package lives in (``benchmarks/``
    beside ``lrsched/``), forwarding ``argv``; it is not part of an installed package."""
    import importlib

    import lrsched

    root = Path(lrsched.__file__).resolve().parent.parent
    suite = root / "benchmarks"
    if not (suite / "__init__.py").is_file():
        raise SpecError(
            f"bench: the benchmark suite is in the source repository (no benchmarks/ beside {root / 'lrsched'}); "
            "run lrsched bench or python -m benchmarks from a checkout"
        )
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        mod = importlib.import_module("benchmarks")
    finally:
        if added:
            sys.path.remove(str(root))
    found = Path(getattr(mod, "__file__", None) or ".").resolve().parent
    if found != suite:
        raise SpecError(f"bench: the module named benchmarks comes from {found}, not {suite}")
    try:
        return mod.main(argv, prog="lrsched bench")
    except SystemExit as e:  # its own option parser: --help, or a bad option
        return e.code if isinstance(e.code, int) else EXIT_USAGE


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
    from .. import __version__

    p = _Parser(prog="lrsched", description="Learning-rate schedules as pure functions.")
    p.add_argument("--version", action="version", version=f"lrsched {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{plot,show,bench,demo}")
    pl = sub.add_parser("plot", help="plot a schedule to an image file")
    _spec_args(pl)
    pl.add_argument("-o", "--output", metavar="FILE.png", help="the image to write (default: SPEC's name .png, here)")
    pl.add_argument("--log-y", action="store_true", help="a logarithmic y axis")
    pl.add_argument("--dpi", type=_positive, default=120)
    pl.set_defaults(func=plot_command)
    sh = sub.add_parser("show", help="the key points of a schedule and a sparkline, in the terminal")
    _spec_args(sh)
    sh.add_argument("--width", type=_positive, default=64, help="sparkline width (default 64)")
    sh.set_defaults(func=show)
    sub.add_parser("bench", help="the benchmark suite of a source checkout (options: lrsched bench --help)")
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
