# The two commands a newcomer needs: `make run` and `make test`. Both create .venv and install first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test test-fast typecheck bench eval clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 (or run: make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch is installed first and on its own, pinned, so nothing later can pull a CUDA build. The registry
# these machines use serves its CPU build; on a machine whose index serves the CUDA one (plain PyPI on
# Linux), name the CPU index: make install TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
TORCH_INDEX_URL ?=
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "torch==2.13.0" $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL))
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/guidance-bot serve

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

# Types are checked on demand, not by `make test` (a type error is not a behaviour a user sees, and the
# suite installs nothing it does not run). Settings in pyproject.toml [tool.mypy].
typecheck: install
	$(BIN)/pip install --quiet "mypy>=1.10,<2" "types-PyYAML"
	$(BIN)/mypy bot knowledge adapters

bench: install
	$(BIN)/guidance-bot bench

eval: install
	$(BIN)/guidance-bot eval questions ../shared/eval/dev-questions.jsonl
	$(BIN)/guidance-bot eval drafts ../shared/eval/dev-drafts.jsonl

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
