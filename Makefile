# revsync — build, test, demo and benchmarks. `make test` installs and starts everything
# the tests need (Go modules, a throwaway PostgreSQL, plugin builds).
GO      ?= go
BIN     := bin/revsync
export CGO_ENABLED := 1

.PHONY: build test vet demo bench
build:
	$(GO) build -o $(BIN) ./cmd/revsync

vet:
	gofmt -l . | (! grep .) || (echo "gofmt needed on the files above" && exit 1)
	$(GO) vet ./...

test: vet
	$(GO) test -count=1 -timeout 40m ./...
