"""``python -m benchmarks [--quick] [--full] [--only GROUP ...]``: lrsched against its peers."""

from lrsched._bench import main

if __name__ == "__main__":
    raise SystemExit(main())
