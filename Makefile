# CloudEvent Player: `make run` serves the app, `make test` runs every check and test.
# Both install what they need (pinned, from crates.io, npm and Debian only) and skip what is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NAME := cloudevent-player
CRATE := cloudevent_player
ROOT := $(CURDIR)
export PATH := $(ROOT)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
# Decides the file names the page asks for: /pkg/$(NAME).js and /pkg/$(NAME).wasm.
export LEPTOS_OUTPUT_NAME := $(NAME)
export CARGO_TERM_COLOR ?= never

WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/"/,"",$$3); print $$3}' Cargo.lock)
# Splits the WASM at the `#[lazy]` functions into the main module and chunks loaded on first use
# (the build tool of the `wasm_split_helpers` runtime that Leptos's `#[lazy]` uses).
WASM_SPLIT_VERSION := 0.2.4
# Leptos.toml's site-root; LEPTOS_SITE_ROOT overrides it here, in build.rs and in the server.
SITE := $(or $(LEPTOS_SITE_ROOT),target/site)
PKG := $(SITE)/pkg
BINDGEN := target/wasm-bindgen
SPLIT := target/wasm-split
WASM_IN := target/wasm32-unknown-unknown/wasm-release/$(CRATE).wasm
SERVER := target/release/$(NAME)
# What the first page loads: the main module, the JS glue with the split loader, the CSS.
FIRST_PAGE := $(PKG)/$(NAME).wasm $(PKG)/$(NAME).js $(PKG)/__wasm_split.js $(PKG)/$(NAME).css
BENCH := target/bench
SSR := --no-default-features --features ssr
HYDRATE := --lib --target wasm32-unknown-unknown --no-default-features --features hydrate
SRC := $(shell find src crates/*/src -type f) crates/*/Cargo.toml build.rs Cargo.toml Cargo.lock Leptos.toml .cargo/config.toml
# -Oz to a fixed point. --low-memory-unused: rustc's wasm32 layout puts the stack's far end in the
# first KiB (never reached short of overflow), so offsets below 1 KiB fold into loads and stores
# (-2.3 KB gzip). --ignore-implicit-traps: Rust checks bounds and divisors itself, so no load or
# division traps unasked; assuming so lets code move and fold (-0.4 KB gzip). The producers and
# target-features sections are metadata no browser reads.
WASM_OPT := -Oz --converge --low-memory-unused --ignore-implicit-traps --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-nontrapping-float-to-int
ARGS ?=

.PHONY: help run test tools build site server lint unit e2e bench clean tck

help:
	@echo "make run    build in release and serve http://127.0.0.1:8080 (ARGS='--listen 0.0.0.0:8080 ...')"
	@echo "make test   fmt, clippy (server and wasm), unit and integration tests, Playwright end-to-end"
	@echo "make bench  benchmarks against their in-run baselines"
	@echo "make tck TCK=DIR   the CESQL conformance suite (its yaml files) against crates/cesql"

run: build
	$(SERVER) $(ARGS)

test: tools lint unit build e2e

build: site server

## tools: each step runs only when what it installs is missing or at the wrong version.
tools: .tools/rust-target .tools/wasm-bindgen .tools/wasm-split-cli .tools/chromium .tools/redis-server end2end/.npm-stamp

.tools/rust-target:
	rustup target add wasm32-unknown-unknown
	@mkdir -p .tools && touch $@

.tools/wasm-bindgen: Cargo.lock
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  cargo install wasm-bindgen-cli --version "=$(WASM_BINDGEN_VERSION)" --locked; \
	fi
	@mkdir -p .tools && touch $@

.tools/wasm-split-cli: Makefile
	@if ! cargo install --list | grep -qx "wasm_split_cli_support v$(WASM_SPLIT_VERSION):"; then \
	  echo "installing wasm_split_cli_support $(WASM_SPLIT_VERSION)"; \
	  cargo install wasm_split_cli_support --version "=$(WASM_SPLIT_VERSION)" --features build-binary --locked; \
	fi
	@mkdir -p .tools && touch $@

.tools/chromium:
	@if ! command -v chromium >/dev/null || ! command -v curl >/dev/null; then \
	  $$(command -v sudo || true) apt-get update && $$(command -v sudo || true) apt-get install -y --no-install-recommends chromium curl; \
	fi
	@mkdir -p .tools && touch $@

# The Redis backend's tests run against a private redis-server (scripts/with-redis.sh).
.tools/redis-server:
	@if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then \
	  $$(command -v sudo || true) apt-get update && $$(command -v sudo || true) apt-get install -y --no-install-recommends redis-server redis-tools; \
	fi
	@mkdir -p .tools && touch $@

end2end/.npm-stamp: end2end/package.json end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	@touch $@

## build
# The site: WASM, its JS glue and the CSS (minified), public/, and .br/.gz variants of each,
# which the server embeds (build.rs) and sends as Accept-Encoding asks.
site: $(PKG)/$(NAME).wasm $(PKG)/$(NAME).css public-files
	node scripts/compress-site.mjs $(SITE)
	@w=$$(gzip -9c $(PKG)/$(NAME).wasm | wc -c); j=$$(cat $(PKG)/$(NAME).js $(PKG)/__wasm_split.js | gzip -9c | wc -c); \
	  c=$$(gzip -9c $(PKG)/$(NAME).css | wc -c); \
	  echo "page: $$((w + j + c)) bytes gzip (wasm $$w, js $$j, css $$c; budget 307200)"; \
	  for f in $(PKG)/*.wasm; do [ "$$f" = $(PKG)/$(NAME).wasm ] || \
	    echo "on first use: $$(basename $$f) $$(gzip -9c $$f | wc -c) bytes gzip"; done

$(WASM_IN): $(SRC) .tools/rust-target
	cargo build --locked $(HYDRATE) --profile wasm-release
	@touch $@

# wasm-split-cli and wasm-bindgen write to staging directories, so the site (which the server
# embeds) only ever holds finished files. wasm-split-cli writes the main module ($(NAME).wasm, for
# wasm-bindgen, which must keep the linker's exports the chunks import), the chunks and
# __wasm_split.js, which the glue imports and which fetches a chunk the first time it is needed.
$(PKG)/$(NAME).wasm: $(WASM_IN) .tools/wasm-bindgen .tools/wasm-split-cli end2end/.npm-stamp
	@rm -rf $(SPLIT) && mkdir -p $(PKG) $(BINDGEN) $(SPLIT)
	wasm-split-cli --target web --out-name $(NAME) $(WASM_IN) $(SPLIT)
	wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-dir $(BINDGEN) \
	  --out-name $(NAME) $(SPLIT)/$(NAME).wasm
	@# Chunks of an earlier build (their names change with the code) must not stay in the site.
	@find $(PKG) -maxdepth 1 -name '*.wasm*' ! -name '$(NAME).wasm*' -delete
	@for chunk in $(SPLIT)/*.wasm; do [ "$$chunk" = $(SPLIT)/$(NAME).wasm ] || \
	  { echo "wasm-opt $$chunk"; wasm-opt $(WASM_OPT) $$chunk -o $(PKG)/$$(basename $$chunk); }; done
	esbuild $(SPLIT)/__wasm_split.js --minify --format=esm --log-level=warning --outfile=$(PKG)/__wasm_split.js
	wasm-opt $(WASM_OPT) $(BINDGEN)/$(NAME)_bg.wasm -o $@
	esbuild $(BINDGEN)/$(NAME).js --minify --format=esm --log-level=warning --outfile=$(PKG)/$(NAME).js
	@echo "wasm: $$(stat -c %s $@) bytes raw, $$(gzip -9c $@ | wc -c) bytes gzip"

$(PKG)/$(NAME).css: style/main.css end2end/.npm-stamp
	@mkdir -p $(PKG)
	esbuild $< --minify --log-level=warning --outfile=$@

# `-u`: an unchanged file keeps its timestamp, so the server (which embeds the site) is not rebuilt.
public-files:
	@mkdir -p $(SITE)
	cp -Ru public/. $(SITE)/

server: $(SERVER)

# After the site: build.rs embeds it, so the binary serves it from any directory.
$(SERVER): $(SRC) site
	cargo build --locked --release --bin $(NAME) $(SSR)
	@touch $@

## checks
lint: .tools/rust-target
	cargo fmt --all -- --check
	cargo clippy --locked --all-targets $(SSR) -- -D warnings
	cargo clippy --locked $(HYDRATE) -- -D warnings
	cargo clippy --locked -p cesql --all-targets --all-features -- -D warnings
	cargo clippy --locked -p cesql --target wasm32-unknown-unknown --features serde -- -D warnings
	cargo clippy --locked -p cep-bench --all-targets -- -D warnings

# Release profile: the test build reuses the dependencies the server build compiles.
# The Redis backend's tests get a private redis-server, stopped afterwards even when tests fail.
unit: .tools/redis-server
	scripts/with-redis.sh cargo test --locked --release $(SSR)
	cargo test --locked -p cesql --all-features --release
	cargo test --locked -p cesql --no-default-features --release
	cargo test --locked --release -p cep-bench

e2e: build .tools/chromium end2end/.npm-stamp
	cd end2end && npx playwright test

# Every part writes its figures to $(BENCH); `cep-load report` prints them as one table at the end
# (also kept as $(BENCH)/table.md). Server-level figures first: the player against cep-bare, the
# bare reference server, in one run. Then the core's micro-benchmarks (criterion), the CESQL
# engine's own figures, the browser scenarios and the first page's size.
bench: build .tools/chromium end2end/.npm-stamp
	rm -rf $(BENCH) && mkdir -p $(BENCH)
	cargo build --locked --release -p cep-bench
	target/release/cep-load matrix --player $(SERVER) --bare target/release/cep-bare --rows $(BENCH)/rows.jsonl
	CRITERION_HOME=$(ROOT)/$(BENCH)/criterion cargo bench --locked $(SSR) --bench micro
	cargo run --locked --release -p cesql --example throughput
	cd end2end && for scenario in filter burst coldstart postpixel; do \
	  node bench/$$scenario.mjs --server ../$(SERVER) --rows ../$(BENCH)/rows.jsonl; done
	cd end2end && node bench/burst.mjs --server ../$(SERVER) --tabs 2 --rows ../$(BENCH)/rows.jsonl
	target/release/cep-load report --rows $(BENCH)/rows.jsonl --criterion $(BENCH)/criterion \
	  --first-page $(FIRST_PAGE) | tee $(BENCH)/table.md

# The CESQL conformance suite: TCK=<directory with its yaml files> (not part of this repository).
tck:
	cargo run --locked --release -p cesql --features json --example tck -- $(TCK)

clean:
	cargo clean
	rm -rf .tools end2end/node_modules end2end/.npm-stamp
