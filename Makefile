# Switchboard: every target installs what it needs first, so that a fresh
# clone needs nothing but `make demo` or `make test`.

SHELL := /bin/bash
BIN := node_modules/.bin
PROTOS := $(shell find proto -name '*.proto')
SOURCES := $(shell find registry services bench test/fixtures -name '*.ts' 2>/dev/null)
JEST_FLAGS ?=
REGISTRY_PORT ?= 7400

.PHONY: all install generate build check test demo run run-registry bench clean

all: build

# npm ci runs again whenever package.json or the lock file changes.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

gen/.generated: $(PROTOS) buf.yaml buf.gen.yaml tools/embed-descriptors.js node_modules/.installed
	rm -rf gen
	$(BIN)/buf lint
	$(BIN)/buf generate
	$(BIN)/buf build --exclude-source-info -o gen/descriptors.binpb
	node tools/embed-descriptors.js gen/descriptors.binpb gen/descriptors.ts
	@touch $@

generate: gen/.generated

dist/.built: gen/.generated $(SOURCES) tsconfig.json
	$(BIN)/tsc -p tsconfig.json
	@touch $@

build: dist/.built

# Type-checks the tests as well as the sources.
check: gen/.generated
	$(BIN)/tsc -p tsconfig.check.json

test: build check
	$(BIN)/jest --maxWorkers=2 $(JEST_FLAGS)

run-registry: build
	node bin/switchboard.js registry --port $(REGISTRY_PORT)

demo: build
	node dist/services/demo/demo.js

run: build
	node dist/services/demo/demo.js --forever

bench: build
	node dist/bench/run.js

clean:
	rm -rf gen dist coverage
