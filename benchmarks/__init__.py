"""The benchmark suite (``python -m benchmarks``); the measurements live in ``lrsched._bench``."""
