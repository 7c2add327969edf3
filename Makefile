# ctc-kd: `make install` once, then `make test`. See README.md.
PYTHON_VENV := tools/venv/bin/python
# test processes side by side (pytest-xdist); tests that share a trained recipe stay on one (--dist loadgroup)
TEST_WORKERS ?= 2

.PHONY: install test test-fast shellcheck bench clean help

help:
	@echo "make install   create tools/venv with ctc_kd, ESPnet and torch (safe to re-run)"
	@echo "make test      the whole test suite on CPU, recipes included (about 10-20 minutes)"
	@echo "make test-fast the unit tests only (no training, no recipes)"
	@echo "make shellcheck shellcheck over every shell script (also the first step of make test)"
	@echo "make bench     the speed and memory benchmarks (CPU, about 15 minutes), then BENCHMARKS.md"
	@echo "make clean     remove caches and test leftovers (keeps tools/venv)"

install:
	bash tools/install.sh

test: $(PYTHON_VENV) shellcheck
	$(PYTHON_VENV) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

test-fast: $(PYTHON_VENV)
	$(PYTHON_VENV) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup -m "not slow"

shellcheck:
	bash tools/check_shell_scripts.sh

bench: $(PYTHON_VENV)
	$(PYTHON_VENV) -m bench.train_step
	$(PYTHON_VENV) -m bench.decoding
	$(PYTHON_VENV) -m bench.cache
	$(PYTHON_VENV) -m bench.losses
	$(PYTHON_VENV) -m bench.grad_share
	$(PYTHON_VENV) -m bench.startup
	$(PYTHON_VENV) -m bench.report

$(PYTHON_VENV):
	@echo "tools/venv is missing: run 'make install' first" >&2; exit 1

clean:
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf .pytest_cache *.egg-info
