# The two commands of the README's quick start: `make demo` and `make test`.
# Both install the project first (once; again when pyproject.toml or constraints.txt change).
PYTHON ?= python3

.PHONY: demo test install
install: .install-stamp

.install-stamp: pyproject.toml constraints.txt
	$(PYTHON) -m pip install -q -c constraints.txt -e ".[dev]"
	touch .install-stamp

demo: .install-stamp
	inrcodec demo --out demo-output

test: .install-stamp
	$(PYTHON) -m pytest -q
