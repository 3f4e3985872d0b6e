# findkin — two commands: `make run` (set up, build, serve the demo) and `make test`.
# Everything the build needs is installed from the package registries here;
# nothing is downloaded from anywhere else.

SHELL := /bin/bash
CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
SITE := $(CARGO_TARGET_DIR)/site
WASM := $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/wasm-release/findkin_app.wasm
BIN := $(CARGO_TARGET_DIR)/release/findkin
DATA_DIR ?= data
ADDR ?= 127.0.0.1:3000
# The wasm-bindgen CLI must be exactly the version in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
APT_UPDATED := $(CARGO_TARGET_DIR)/.apt-updated
# binaryen's wasm-opt from the npm registry, pinned in tools/package-lock.json.
# Debian's wasm-opt 108 rewrites wasm-bindgen's externref table and the
# bundle then crashes at hydration, so it is never used.
WASM_OPT := $(CURDIR)/tools/node_modules/.bin/wasm-opt
# schemathesis (PyPI, pinned) checks the JSON API against its OpenAPI document.
SCHEMATHESIS_VERSION := 4.32.5
VENV := $(CARGO_TARGET_DIR)/venv
SCHEMATHESIS := $(VENV)/.schemathesis-$(SCHEMATHESIS_VERSION)
API_FUZZ = SCHEMATHESIS=$(VENV)/bin/schemathesis FINDKIN_BIN=$(BIN) FINDKIN_SITE_ROOT=$(SITE) bash bench/schemathesis.sh
# Seconds of libFuzzer per cargo-fuzz target in `make fuzz`.
FUZZ_SECONDS ?= 60

.PHONY: run build test fuzz setup setup-test site server clean lint bench

run: build
	@mkdir -p $(DATA_DIR)
	$(BIN) serve --demo --data-dir $(DATA_DIR) --addr $(ADDR) --site-root $(SITE)

build: setup site server

setup:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (a few minutes, once per machine)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@$(MAKE) --no-print-directory $(WASM_OPT)

$(WASM_OPT): tools/package.json tools/package-lock.json
	@command -v npm >/dev/null || $(MAKE) --no-print-directory apt PKGS="nodejs npm"
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup-test: setup
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || $(MAKE) --no-print-directory apt PKGS="chromium chromium-driver"

apt:
	@mkdir -p $(CARGO_TARGET_DIR)
	@[ -f $(APT_UPDATED) ] || { apt-get update -qq && touch $(APT_UPDATED); }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PKGS)

# The browser half: wasm built with the hydrate feature, bound and shrunk.
site:
	cargo build -p findkin-app --lib --target wasm32-unknown-unknown --profile wasm-release --features hydrate
	@mkdir -p $(SITE)/pkg
	wasm-bindgen --target web --no-typescript --out-dir $(SITE)/pkg --out-name findkin $(WASM)
	$(WASM_OPT) -Oz --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
		--enable-sign-ext --enable-mutable-globals --enable-multivalue \
		-o $(SITE)/pkg/findkin_bg.opt.wasm $(SITE)/pkg/findkin_bg.wasm
	mv $(SITE)/pkg/findkin_bg.opt.wasm $(SITE)/pkg/findkin_bg.wasm
	cp assets/style.css $(SITE)/pkg/findkin.css
	cp -r assets/public/. $(SITE)/
	node tools/precompress.mjs $(SITE)/pkg
	@printf "wasm bundle: %s bytes, %s gzipped\n" "$$(stat -c %s $(SITE)/pkg/findkin_bg.wasm)" "$$(gzip -9c $(SITE)/pkg/findkin_bg.wasm | wc -c)"

server:
	cargo build --release -p findkin

# Unit, integration and browser end-to-end tests, on SQLite and then again
# on PostgreSQL (the same build: --workspace both times, so nothing is
# compiled twice).
test: setup-test build $(SCHEMATHESIS)
	@bash tools/postgres-up.sh
	FINDKIN_BIN=$(BIN) FINDKIN_SITE_ROOT=$(SITE) cargo test --release --workspace
	FINDKIN_TEST_DATABASE=postgres FINDKIN_BIN=$(BIN) FINDKIN_SITE_ROOT=$(SITE) \
		cargo test --release --workspace
	$(API_FUZZ) short

# The long schemathesis run, then libFuzzer on the query parser and the CSV
# importer. cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 allows them on
# stable. No sanitizer: the targets are safe Rust, a panic is the finding.
fuzz: build $(SCHEMATHESIS)
	$(API_FUZZ) long
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
	@mkdir -p fuzz/corpus/csv_import && head -n 30 eval/dev/records.csv > fuzz/corpus/csv_import/dev.csv
	cd fuzz && for t in query csv_import; do \
		RUSTC_BOOTSTRAP=1 cargo fuzz run -s none --codegen-units 16 $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

# Every number issue 14 sets a target for, on records generated here
# (BENCH_N, default 1,000,000, and a tenth of it): import, criterion, wrk on
# both search doors, pg_trgm KNN and SQLite FTS5 beside findkin; one table
# printed and written to $(CARGO_TARGET_DIR)/bench/report.md (bench/README.md).
bench: build
	@command -v wrk >/dev/null || $(MAKE) --no-print-directory apt PKGS="wrk"
	@[ -x /usr/bin/time ] || $(MAKE) --no-print-directory apt PKGS="time"
	@command -v pg_isready >/dev/null || $(MAKE) --no-print-directory apt PKGS="postgresql"
	FINDKIN_BIN=$(BIN) FINDKIN_SITE_ROOT=$(SITE) BENCH_DIR=$(CARGO_TARGET_DIR)/bench bash bench/run.sh

$(SCHEMATHESIS):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q schemathesis==$(SCHEMATHESIS_VERSION)
	@touch $@

lint:
	cargo clippy --release --workspace --all-targets -- -D warnings

clean:
	cargo clean
