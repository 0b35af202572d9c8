"""``python -m lrsched`` and the ``lrsched`` console script."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
