# The whole set-up on a fresh Debian machine: `make demo` runs the site, `make test` runs the suite.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
SUDO    = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test install gettext chromium redis messages lint serve worker bench guides

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

gettext:  # Debian's gettext compiles the translations; DejaVu has the Arabic glyphs the PDFs need
	@(command -v msgfmt >/dev/null && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]) || ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext fonts-dejavu-core)

chromium:  # Debian's chromium for the end-to-end tests (test tools cannot download browsers here)
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core)

redis:  # Debian's redis-server, for the tests that start, stop and restart a Redis of their own
	@command -v redis-server >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server)

messages: install gettext  # .mo files are built, never committed
	$(BIN)/seei compilemessages --ignore=.venv --ignore=var >/dev/null

demo: export SITE_URL ?= http://$(HOST):$(PORT)
demo: install messages  # the links it prints and mails point at the address it serves
	$(BIN)/seei migrate --noinput
	$(BIN)/seei load_demo
	@echo "SEEI is at $$SITE_URL/  (Ctrl-C to stop)"
	$(BIN)/python -m seei.room.server --host $(HOST) --port $(PORT)

worker: install messages  # the task worker as its own process (beside web processes given REDIS_URL)
	$(BIN)/seei worker

test: install messages chromium redis
	$(BIN)/ruff check seei tests
	$(BIN)/python -m pytest

bench: install messages  # a few minutes on 127.0.0.1; prints a table, writes bench/results.json
	$(BIN)/python bench/run.py

guides: install messages chromium  # the help centre's screenshots, taken again from the real pages (2 minutes)
	$(BIN)/python scripts/guide_screenshots.py

lint: install
	$(BIN)/ruff check seei tests
	$(BIN)/ruff format --check seei tests
