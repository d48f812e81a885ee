# Amber build, test and devnet targets. See README.md.
GO      ?= go
GOBIN   := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
BIN     := $(CURDIR)/bin

.PHONY: build test test-short devnet vet fmt clean proto

## build: amberd, amberctl, the devnet tool and every plugin binary into ./bin
build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/amberd ./cmd/amberctl ./cmd/amber-devnet
	$(GO) build -o $(BIN)/amber-bitcoind ./plugins/bitcoind

## test: every test of the root module and of the SDK module, real btcd and
## real Electrum wallet included (they must be installed: see .ci/run)
test: build
	$(GO) vet ./... && (cd sdk && $(GO) vet ./...)
	AMBER_BIN=$(BIN) $(GO) test -count=1 -timeout 40m ./...
	cd sdk && $(GO) test -count=1 -timeout 10m ./...

## devnet: btcd regtest + a starter chain + amberd on 127.0.0.1:50001 (Ctrl-C stops all)
devnet: build
	$(BIN)/amber-devnet -bin $(BIN) -config configs/regtest.yaml

vet:
	$(GO) vet ./... && (cd sdk && $(GO) vet ./...)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN) devnet

-include sdk/proto.mk
