# Two commands on a machine with only python3, pip and make:
#   make run    open the coding workbench on the sample study
#   make test   run the test suite (what CI runs)
PYTHON ?= python3
UV := .uv/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: run serve test check lint bench tour

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set, every start would
# otherwise compile Textual afresh and the workbench would take twice as long to appear.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode --python $(PYTHON)
	touch $@

run: .venv/.synced
	.venv/bin/python -m compileall -q qualcode
	.venv/bin/qualcode

# The same workbench in a web browser, at http://127.0.0.1:8000/
serve: .venv/.synced
	.venv/bin/qualcode serve

test: .venv/.synced
	.venv/bin/python -m pytest

lint: .venv/.synced
	.venv/bin/ruff check qualcode tests benchmarks
	.venv/bin/ruff format --check qualcode tests benchmarks

check: lint test

bench: .venv/.synced
	.venv/bin/python benchmarks/segment.py
	.venv/bin/python benchmarks/import_speed.py
	.venv/bin/python benchmarks/tui.py
	.venv/bin/python benchmarks/reports.py
	.venv/bin/python benchmarks/quotes.py
	.venv/bin/python benchmarks/autocode.py
	.venv/bin/python benchmarks/cli.py
	.venv/bin/python benchmarks/codes.py
	.venv/bin/python benchmarks/archives.py
	.venv/bin/python benchmarks/privacy.py
	.venv/bin/python benchmarks/serve.py
