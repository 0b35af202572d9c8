# `make test` and `make demo` set everything up on a fresh machine: a virtual environment in
# .venv, the project installed in it with pinned test dependencies (constraints.txt), and timm
# without its dependencies (tests/test_compat_timm.py loads only its schedulers: no torchvision).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: test demo bench lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev,torch,plot,keras,yaml]'
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -c constraints.txt timm==1.0.31
	touch $(STAMP)

test: $(STAMP) lint
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check lrsched tests benchmarks
	$(PY) -m ruff format --check lrsched tests benchmarks
	$(PY) -m mypy

# the demo needs only torch, matplotlib and scikit-learn (its digits data), not the dev set
$(DEMO_STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[demo]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(PY) -m lrsched demo

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
