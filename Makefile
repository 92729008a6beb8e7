# revsync — build, test, demo and benchmarks. `make test` installs and starts everything
# the tests need (Go modules, a throwaway PostgreSQL, plugin builds).
GO      ?= go
BIN     := bin/revsync
export CGO_ENABLED := 1

.PHONY: build test vet demo bench pg-deps
build:
	$(GO) build -o $(BIN) ./cmd/revsync

vet:
	gofmt -l $$(git ls-files '*.go') | (! grep .) || (echo "gofmt needed on the files above" && exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# pg-deps installs the PostgreSQL server binaries the tests start (internal/pgtest) when
# initdb is on neither PATH nor Debian's versioned directory.
pg-deps:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	else echo "installing postgresql (initdb not found)"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q postgresql; fi

# demo: generate example billing data, sync it into demo/revsync.duckdb, print monthly MRR.
demo: build
	rm -rf demo && mkdir -p demo
	cp examples/demo/revsync.yaml demo/revsync.yaml
	$(BIN) generate --customers 500 --months 24 --seed 1 --out demo/data
	$(BIN) --config demo/revsync.yaml --log-level warn sync
	$(BIN) --config demo/revsync.yaml metrics

test: vet pg-deps
	$(GO) test -count=1 -timeout 40m ./...

# Connector plugins (SPEC §10). `proto` regenerates plugins/proto (needs protoc; the Go
# generators are installed here); `plugins` builds the example plugin and its checksum.
PLUGIN_BIN := plugins/bin
.PHONY: proto plugins
proto:
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	$(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc --proto_path=plugins/proto \
		--go_out=plugins/proto --go_opt=paths=source_relative \
		--go-grpc_out=plugins/proto --go-grpc_opt=paths=source_relative \
		connector/v1/connector.proto

plugins:
	mkdir -p $(PLUGIN_BIN)
	$(GO) build -o $(PLUGIN_BIN)/revsync-connector-example ./plugins/example
	cd $(PLUGIN_BIN) && sha256sum revsync-connector-example | cut -d' ' -f1 > revsync-connector-example.sha256

# bench: Go benchmarks of every package, then the end-to-end pipeline on generated data
# (BENCH_CUSTOMERS, default 100000) with the SQL-playbook comparison. Results belong in
# docs/BENCHMARKS.md.
bench: build
	mkdir -p .cache && $(GO) test -run '^$$' -bench . -benchmem -count 1 ./... | tee .cache/bench-go.txt
	bash bench/pipeline.sh
