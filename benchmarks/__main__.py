"""``python -m benchmarks [--quick] [--full] [--only GROUP ...]``: lrsched against its peers."""

from . import main

if __name__ == "__main__":
    raise SystemExit(main(prog="python -m benchmarks"))
