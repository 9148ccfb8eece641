# The README's commands: `make run` serves the dashboard, `make test` runs every test tier.
# `make run PORT=8502` serves on another port.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
DB      := data/clinic.duckdb
PORT    ?= 8501

.PHONY: run test test-unit test-app test-e2e lint format bench soak browser proxies poppler curl clean

$(BIN)/.installed: requirements.txt
	@echo "Setting up $(VENV) from requirements.txt ..."
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Debian's Chromium for the browser tests (never a Playwright-downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's caddy and nginx for the deployment tests: tests/e2e/test_deploy.py runs their
# validators on deploy/ and the dashboard behind each (openssl makes the test's certificate).
# The tests run their own instances on free ports, so where systemd runs, the services the
# packages start are stopped and disabled.
proxies:
	@{ command -v caddy && command -v openssl && { command -v nginx || test -x /usr/sbin/nginx; }; } >/dev/null 2>&1 || { \
	  echo "Installing Debian's caddy and nginx for the deployment tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy nginx openssl >/dev/null; \
	  if [ -d /run/systemd/system ]; then systemctl disable --now caddy nginx >/dev/null 2>&1 || true; fi; }

# poppler-utils (pdftotext, pdfinfo, pdftoppm): the governance pack's tests read the PDF with them.
poppler:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "Installing Debian's poppler-utils for the PDF tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

# curl: tests/e2e/test_api.py runs docs/API.md's curl examples as written.
curl:
	@command -v curl >/dev/null 2>&1 || { \
	  echo "Installing Debian's curl for the API examples"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }

# init --demo prints the one-time passwords last, so they stay right above the server's lines.
$(DB): | $(BIN)/.installed
	@$(BIN)/python -m clinic init --demo --db $(DB)

run: $(BIN)/.installed | $(DB)
	@echo "Serving the dashboard on http://localhost:$(PORT) (Ctrl-C stops it)"
	@$(BIN)/streamlit run dashboard.py --server.port $(PORT)

test: $(BIN)/.installed-dev browser proxies poppler curl
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

test-unit: $(BIN)/.installed-dev browser poppler
	$(BIN)/python -m pytest tests/unit

test-app: $(BIN)/.installed-dev
	$(BIN)/python -m pytest tests/app

test-e2e: $(BIN)/.installed-dev browser proxies
	$(BIN)/python -m pytest tests/e2e

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Long reliability run: ~480k-row imports killed at more points, 1000 examples per property.
soak: $(BIN)/.installed-dev
	CLINIC_SOAK=1 $(BIN)/python -m pytest -s tests/unit/test_reliability.py tests/unit/test_fuzz_import.py

bench: $(BIN)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
