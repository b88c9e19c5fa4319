# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve jobs test fuzz lint format check bench bench-pdf clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall only when a requirements file changes, so a second `make run` starts in seconds.
$(VENV)/.installed: requirements.txt $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

# The job runner (django-q2: workers and the reminders' schedule, queued in the same database)
# runs in the background beside the development server and stops with it (forced after two
# seconds: django-q2 can hang while stopping, its issue #346; a killed job loses nothing).
run: $(VENV)/.installed
	$(PY) manage.py migrate --no-input
	$(PY) manage.py sync_content
	$(PY) manage.py qcluster & jobs=$$!; trap 'kill $$jobs 2>/dev/null; sleep 2; kill -9 $$jobs 2>/dev/null' EXIT INT TERM; $(PY) manage.py runserver $(HOST):$(PORT)

# The job runner alone, as each production worker machine runs it (see README).
jobs: $(VENV)/.installed
	$(PY) manage.py qcluster

# Production settings: DEBUG off; SECRET_KEY, JOURNAL_KEYS and ALLOWED_HOSTS must be set. A PDF
# of 1,000 entries takes about 16 s of CPU, more by the clock on a busy machine: 60 s, not 30.
serve: $(VENV)/.installed
	DEBUG=false $(PY) manage.py check --deploy --fail-level WARNING
	DEBUG=false $(PY) manage.py collectstatic --no-input --verbosity 0
	DEBUG=false $(VENV)/bin/gunicorn recovery.wsgi --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-2} --timeout 60 --max-requests 1000 --max-requests-jitter 100 --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms' --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(VENV)/.installed-dev
	-bash .ci/system-packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check --fail-level WARNING
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The hostile-input tests with many more examples than `make test` gives them (minutes, not seconds).
fuzz: $(VENV)/.installed-dev
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest tests/test_fuzz_doors.py tests/test_journal_import.py tests/test_markdown_safety.py $(PYTEST_ARGS)

# Each page right after the write that changes it, as worker CPU per request against a static
# file (bench/README.md). QUICK=1 for a short run; with DATABASE_URL=postgres://... (and REDIS_URL)
# it runs on PostgreSQL and writes bench/results-postgres.md.
bench: $(VENV)/.installed-dev
	$(PY) bench/run.py $(if $(QUICK),--quick,)
	$(PY) bench/pdf.py

# One therapist PDF of 1,000 entries: CPU time and peak memory of the process that makes it.
bench-pdf: $(VENV)/.installed-dev
	$(PY) bench/pdf.py

clean:
	rm -rf $(VENV) staticfiles
