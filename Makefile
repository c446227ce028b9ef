# Two commands do everything on a fresh machine:
#   make run    create .venv, install fabnet, run the main job on the built-in scenario
#   make test   create .venv, install fabnet with test extras, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
ARGS   ?=

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# setup.py compiles the fab kernel from kernel.py and dispatch.py: a change reinstalls
KERNEL  = setup.py $(addprefix src/fabnet/fab/,kernel.py kernel.pxd choice.py choice.pxd state.py state.pxd records.py heap.py heap.pxd streams.py streams.pxd dispatch.py dispatch.pxd codes.py codes.pxd)

$(VENV)/.installed: pyproject.toml $(KERNEL) | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(KERNEL) | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,web,ray]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/fabnet plan $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --dist loadfile $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src/fabnet/scenario src/fabnet/econ src/fabnet/plan src/fabnet/risk

clean:
	rm -rf $(VENV) build *.egg-info
