# Run `make help` for the list of targets.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/node

# Code generators, pinned. `make tools` installs them into $(GOBIN).
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_CONNECT_VERSION := v1.21.1

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/node
	$(GO) build -o $(BIN) ./cmd/node

.PHONY: run
run: build ## run a node on its embedded defaults (data in ./data)
	./$(BIN) run

.PHONY: test
test: ## run all tests with the race detector
	$(GO) test -race -count=1 -timeout 20m ./...

.PHONY: test-short
test-short: ## run the fast tests without the race detector
	$(GO) test -short -count=1 ./...

SEEDS ?= 1000

.PHONY: sim
sim: ## run the deterministic simulator (internal/sim) over SEEDS seeds, default 1000
	$(GO) run ./internal/sim/cmd/sim -seeds $(SEEDS)

.PHONY: bench
bench: ## run the benchmarks that docs/benchmarks.md reports
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./streams/ ./store/ $(BENCH_PKGS)

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@for t in $$($(GO) test -list 'Fuzz.*' ./streams/ | grep ^Fuzz); do \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $${FUZZTIME:-30s} -fuzzminimizetime 2s ./streams/ || exit 1; done

.PHONY: tools
tools: ## install the pinned code generators
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	$(GO) install connectrpc.com/connect/cmd/protoc-gen-connect-go@$(PROTOC_GEN_CONNECT_VERSION)

.PHONY: proto
proto: ## regenerate proto/pb from proto/*.proto (needs protoc and `make tools`)
	protoc -I proto --go_out=. --go_opt=module=github.com/towns-node/node \
		--connect-go_out=. --connect-go_opt=module=github.com/towns-node/node proto/*.proto

.PHONY: check-generated
check-generated: proto ## fail if regenerating changes committed code
	@git diff --exit-code -- proto/pb || { echo "generated code is stale: run make proto and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- proto/pb)" || { echo "untracked generated files in proto/pb"; exit 1; }

# Contracts: solc-js pinned in contracts/package.json; abigen from go.mod.
CONTRACTS := NodeRegistry StreamRegistry
BINDINGS  := chainlink/evm/bindings
# `make bench` also measures miniblock registrations/s on the devchain.
BENCH_PKGS += ./chainlink/evm/
BENCH_PKGS += ./actors/ ./rpc/

.PHONY: contracts
contracts: ## compile contracts/src (pinned solc-js) and regenerate ABI, bytecode, Go bindings
	@test -d contracts/node_modules || (cd contracts && npm ci --no-audit --no-fund)
	cd contracts && node build.js build
	@for c in $(CONTRACTS); do \
		$(GO) run github.com/ethereum/go-ethereum/cmd/abigen --v2 --pkg bindings --type $$c \
			--abi contracts/build/$$c.abi --bin contracts/build/$$c.bin \
			--out $(BINDINGS)/$$(echo $$c | tr A-Z a-z).go || exit 1; done

.PHONY: check-contracts
check-contracts: contracts ## fail if regenerating contracts changes committed artefacts
	@git diff --exit-code -- contracts/build $(BINDINGS) || { echo "contract artefacts are stale: run make contracts and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- contracts/build $(BINDINGS))" || { echo "untracked contract artefacts"; git status --porcelain -- contracts/build $(BINDINGS); exit 1; }

.PHONY: vet
vet: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

.PHONY: clean
clean: ## remove build output
	rm -rf bin
