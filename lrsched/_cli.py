"""The command line's former module name; it is :mod:`lrsched.cli` now."""

from .cli import main, parser

__all__ = ["main", "parser"]
