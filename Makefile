# Two entry points, both doing all set-up on a fresh machine (Python 3.11+, package registries):
#   make demo   install, then crawl the bundled demo portals, check them and write a digest
#   make test   install, then run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	bash scripts/install-system-deps
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/nianbao demo

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/parse
	$(BIN)/python bench/monitor --reports 100000
	$(BIN)/python bench/crawl
	$(BIN)/python bench/scale --portals 200

clean:
	rm -rf $(VENV) data *.egg-info
