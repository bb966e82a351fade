# rlvrkit: everything runs from a virtual environment in .venv that `make install` creates.
# On a CPU machine torch is pinned to the 2.13.0 CPU build so no CUDA packages are pulled;
# on a GPU machine install the torch you want into .venv first and `make install` keeps it.

VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST := $(PY) -m pytest

.PHONY: install test docs bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

test: install
	$(PYTEST) -q

docs: install
	$(PY) -m rlvrkit.commands._docs .

bench: install
	$(PY) bench/score.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
