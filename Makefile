# Amber build, test and devnet targets. See README.md.
GO      ?= go
GOBIN   := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
BIN     := $(CURDIR)/bin
# VERSION, when set, is linked into amberd (amberd --version): make build VERSION=0.1.1
VERSION ?=
LDFLAGS := $(if $(VERSION),-ldflags "-X main.version=$(VERSION)",)

.PHONY: build setup test devnet vet fmt clean proto fuzz race

## build: amberd, amberctl, the devnet and bench tools, every plugin (amber-<name>)
## and the example plugin into ./bin
build:
	@mkdir -p $(BIN)
	$(GO) build $(LDFLAGS) -o $(BIN)/ ./cmd/amberd ./cmd/amberctl ./cmd/amber-devnet
	cd cmd/amber-bench && $(GO) build $(LDFLAGS) -o $(BIN)/amber-bench .
	@for p in plugins/*/main.go; do d=$$(dirname $$p); n=$$(basename $$d); \
	  echo "$(GO) build -o $(BIN)/amber-$$n ./$$d"; $(GO) build -o $(BIN)/amber-$$n ./$$d || exit 1; done
	cd examples/hello-method && $(GO) build -o $(BIN)/hello-method .

## setup: install what the tests need and the machine lacks (Debian's electrum,
## protobuf-compiler, python3-grpcio/-cryptography/-protobuf; btcd and btcctl
## v0.24.2 with go install), saying what it installs; nothing when all is there
setup:
	GO=$(GO) ./.ci/setup

## test: set-up (above), then every test of the root module, the SDK module and
## the bench tool's module, real btcd and real Electrum wallet included, then
## every fuzz target for FUZZTIME each. Under CI (CI set) the fault tests run
## at full size too (AMBER_LONG_TESTS=1: 20 kill -9 points, a 60 s outage).
AMBER_LONG_TESTS ?= $(if $(CI),1,)
export AMBER_LONG_TESTS
test: setup build
	./.ci/setup_test
	$(MAKE) --no-print-directory vet
	AMBER_BIN=$(BIN) $(GO) test -count=1 -timeout 40m ./...
	cd sdk && $(GO) test -count=1 -timeout 10m ./...
	cd cmd/amber-bench && AMBER_BIN=$(BIN) $(GO) test -count=1 -timeout 10m ./...
	cd examples/hello-method && $(GO) vet ./... && $(GO) test -count=1 ./...
	cd examples/python-plugin && $(GO) vet ./... && $(GO) test -count=1 ./...
	cd sdk/python && /usr/bin/python3 -m unittest discover -s tests
	$(MAKE) --no-print-directory race
	$(MAKE) --no-print-directory fuzz

## race: the packages whose goroutines share memory (the sync pipeline, the
## store engines, sessions and their transports, plugin supervision) again under
## the race detector
RACE_PKGS ?= ./core/internal/index/ ./core/internal/store/ ./core/internal/session/ \
	./core/internal/electrum/ ./core/internal/pluginhost/ ./core/internal/transport/ \
	./core/internal/cost/ ./core/internal/jsonrpc/ ./core/internal/hostsvc/
race:
	$(GO) test -race -count=1 -timeout 20m $(RACE_PKGS)

## fuzz: run each native fuzz target for FUZZTIME (default 5s); a crasher is
## saved under the package's testdata/fuzz/ and from then on replayed by go test
FUZZTIME ?= 5s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) ./.ci/fuzz

## devnet: btcd regtest + a starter chain + amberd on the ports of configs/regtest.yaml
## (free ones where those are taken); PLUGINS=history,feeest,hello-method loads plugins
## from ./bin; Ctrl-C stops all
PLUGINS ?=
devnet: build
	$(BIN)/amber-devnet -bin $(BIN) -config configs/regtest.yaml $(if $(PLUGINS),-plugins $(PLUGINS),)

## vet: go vet of the root module, the SDK module and the bench tool's module
vet:
	$(GO) vet ./... && (cd sdk && $(GO) vet ./...) && (cd cmd/amber-bench && $(GO) vet ./...)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN) devnet

-include sdk/proto.mk
