# Tessera — the two commands:
#   make run    set everything up and serve on http://127.0.0.1:8080
#   make test   set everything up and run every test
# Nothing else needs installing by hand: missing Debian packages are
# installed when running as root (otherwise the command to run is printed).

CARGO      ?= cargo
DATA_DIR   ?= data
RUNTIME    := $(CURDIR)/$(DATA_DIR)/runtime
TEST_ROOT  := $(CURDIR)/target/tessera-test
RELEASE    := target/release/tessera
DEBUG      := target/debug/tessera

# Debian packages the build and the tests need (cmake and libclang build
# llama.cpp; python3-venv holds the OpenAI client the gateway is tested with;
# chromium runs the console's end-to-end tests).
DEB_PACKAGES := python3 python3-pip python3-venv cmake clang libclang-dev
TEST_PACKAGES := chromium

.PHONY: run test test-aarch64 deps node test-tools console build build-release setup lint fmt bench e2e test-cluster-stop clean help

help:
	@echo "make run    build, set up and serve on http://127.0.0.1:8080 (embedded database in ./$(DATA_DIR))"
	@echo "make test   build, set up and run every test"
	@echo "make lint   rustfmt and clippy"
	@echo "make bench  run the benchmarks in bench/ (release build)"

deps: node
	@scripts/ensure-deps.sh $(DEB_PACKAGES)

# Node and npm build the console; Debian's are installed when there are none.
node:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || scripts/ensure-deps.sh nodejs npm

# The web console (web/ → web/dist, embedded in the release binary): its
# packages from the lockfile, the API client checked against
# docs/openapi.json, types, unit tests, then the build.
console: node
	cd web && npm ci --no-audit --no-fund --loglevel=error
	cd web && npm run -s check:api && npm run -s typecheck && npm test --silent && npx vite build --logLevel warn

# The test runner and the linters `make test` uses.
test-tools:
	@$(CARGO) nextest --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-nextest
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy

build-release: deps console
	$(CARGO) build --release -p tessera

build: deps
	$(CARGO) build -p tessera

setup: build-release
	$(RELEASE) setup --data-dir $(DATA_DIR)

run: setup
	$(RELEASE) serve --data-dir $(DATA_DIR)

# Lint first (cheap; clippy also type-checks the benchmarks, which the
# test build then leaves out), then every test
# this machine can run: tests needing root or AVX-512 BF16 are `#[ignore]`d
# and named after the need; scripts/test-filter.sh runs those whose need is
# met and nextest reports the rest as skipped. Then Schemathesis checks the
# OpenAPI document against a fresh server, and headless Chromium walks the
# console's journeys (web/e2e).
test: deps test-tools lint console
	@scripts/ensure-deps.sh $(TEST_PACKAGES)
	$(CARGO) build --workspace --bins --tests
	$(DEBUG) setup --data-dir $(DATA_DIR)
	@status=0; \
	filter=$$(scripts/test-filter.sh); \
	TESSERA_RUNTIME_DIR=$(RUNTIME) $(CARGO) nextest run --workspace --no-fail-fast \
		--run-ignored all -E "$$filter" || status=$$?; \
	$(MAKE) --no-print-directory test-cluster-stop; \
	if [ $$status -eq 0 ]; then $(MAKE) --no-print-directory test-aarch64 || status=$$?; fi; \
	if [ $$status -eq 0 ]; then scripts/schemathesis.sh $(DEBUG) || status=$$?; fi; \
	if [ $$status -eq 0 ]; then TESSERA_RUNTIME_DIR=$(RUNTIME) node web/e2e/run.mjs $(DEBUG) || status=$$?; fi; \
	exit $$status

# ARM servers: the embedder's crate (no C dependencies) is built for
# aarch64 with the cross linker and its tests, model agreement included,
# run under qemu's user-mode emulation (skipping two that only repeat, on
# ARM, what the others already run on the portable kernels).
AARCH64 := aarch64-unknown-linux-gnu
CROSS_PACKAGES := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user

test-aarch64:
	@scripts/ensure-deps.sh $(CROSS_PACKAGES)
	@rustup target list --installed | grep -qx $(AARCH64) || rustup target add $(AARCH64)
	TESSERA_RUNTIME_DIR=$(RUNTIME) $(CARGO) test -q -p embed --target $(AARCH64) -- \
		--skip f32_on_one_thread --skip the_portable_kernels_agree_too

# The console's browser journeys alone (after `make test` built everything).
e2e:
	TESSERA_RUNTIME_DIR=$(RUNTIME) node web/e2e/run.mjs $(DEBUG)

# The test harness leaves its shared PostgreSQL running between test
# processes; stop it (fast shutdown) once the run is over.
test-cluster-stop:
	@pidfile=$(TEST_ROOT)/cluster/pg/postmaster.pid; \
	if [ -f $$pidfile ]; then kill -INT $$(head -1 $$pidfile) 2>/dev/null || true; fi

lint: test-tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

bench: build-release
	bench/run.sh

clean: test-cluster-stop
	$(CARGO) clean
