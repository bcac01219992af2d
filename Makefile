# Run `make help` for the list of targets.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/node

# `node version` reports the commit; the build information carries it too
# unless GOFLAGS has -buildvcs=false, so it is also stamped here.
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -modified)
LDFLAGS := -X github.com/towns-node/node/internal/buildinfo.commit=$(COMMIT)

# Code generators, pinned. `make tools` installs them into $(GOBIN).
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_CONNECT_VERSION := v1.21.1

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/node
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/node

.PHONY: run
run: build ## run a node on its embedded defaults (data in ./data)
	./$(BIN) run

N ?= 4

.PHONY: devnet
devnet: build ## start the devchain and N nodes on loopback (make devnet N=4); addresses in devnet/nodes.txt
	./scripts/devnet.sh start $(N)

.PHONY: devnet-stop
devnet-stop: ## stop the processes make devnet started
	./scripts/devnet.sh stop

.PHONY: devnet-status
devnet-status: build ## node status of every devnet node
	./scripts/devnet.sh status

.PHONY: test
test: ## run all tests with the race detector
	$(GO) test -race -count=1 -timeout 20m ./...

.PHONY: test-sync
test-sync: ## the long catch-up proofs: late joiner of 2,000 blocks (-count 20) and the devnet replica down 60 s
	SYNC_LONG=1 $(GO) test -count=20 -timeout 90m -run 'TestNetworkLateJoiner2000' ./internal/cluster/
	E2E_SYNC=1 $(GO) test -count=1 -timeout 15m -run 'TestDevnetSyncAfterKill' ./internal/e2e/

.PHONY: test-short
test-short: ## run the fast tests without the race detector
	$(GO) test -short -count=1 ./...

SEEDS ?= 1000

.PHONY: test-console
test-console: ## the debug console in headless Chromium on a 3-node devnet; SHOTS=docs/console refreshes the screenshots
	$(GO) test -count=1 -run TestConsoleInChromium ./internal/e2e $(if $(SHOTS),-console.screenshots $(abspath $(SHOTS)))

.PHONY: test-observer-outage
test-observer-outage: ## an observer down for 60 s gets every payload once, in order per stream
	$(GO) test -race -count=1 -run TestOutageDeliversOncePerStreamInOrder ./observer -observer.outage 60s -v

.PHONY: sim
sim: ## run the deterministic simulator (internal/sim) over SEEDS seeds, default 1000
	$(GO) run ./internal/sim/cmd/sim -seeds $(SEEDS)

CHAOS_DURATION ?= 10m
CHAOS_KILLS    ?= 100

.PHONY: chaos
chaos: build ## devnet of bin/node (devchain, 5 nodes, k=3) under load, kills, pauses, cuts (CHAOS_DURATION=10m CHAOS_KILLS=100)
	$(GO) run ./internal/chaos/cmd/chaos -bin $(BIN) -duration $(CHAOS_DURATION) -kills $(CHAOS_KILLS) $(CHAOS_ARGS)

.PHONY: bench
bench: ## run the benchmarks that docs/benchmarks.md reports
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./streams/ ./store/ $(BENCH_PKGS)

.PHONY: fuzz
fuzz: ## run each fuzz target of every package that has one for FUZZTIME (default 30s)
	@for p in $$(grep -rl --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git '^func Fuzz' . | xargs -r -n1 dirname | sort -u); do \
		for t in $$($(GO) test -list 'Fuzz.*' $$p/ | grep ^Fuzz); do \
			echo "fuzz $$p $$t"; \
			GO=$(GO) scripts/fuzz-one.sh $$p $$t $${FUZZTIME:-30s} || exit 1; done; done

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
# ... and AddEvent with an observer down (docs/benchmarks.md, "observers").
BENCH_PKGS += ./observer/
# gossip throughput between 3 hosts and direct round trips (p2p section).
BENCH_PKGS += ./p2p/
# replicated ingest, 1 and 3 nodes on libp2p hosts (replication section).
BENCH_PKGS += ./internal/cluster/
# catch-up: Syncer from 3 in-memory peers next to the local ceiling (catch-up section).
BENCH_PKGS += ./internal/syncbench/

.PHONY: contracts
contracts: ## compile contracts/src (pinned solc-js) and regenerate ABI, bytecode, Go bindings
	@test -d contracts/node_modules || (cd contracts && npm ci --no-audit --no-fund)
	cd contracts && node build.js build
	@for c in $(CONTRACTS); do \
		$(GO) run github.com/ethereum/go-ethereum/cmd/abigen --v2 --pkg bindings --type $$c \
			--abi contracts/build/$$c.abi --bin contracts/build/$$c.bin \
			--out $(BINDINGS)/$$(echo $$c | tr A-Z a-z).go || exit 1; done

# Foundry (forge, anvil, cast) from npm, pinned, into .tools/foundry. forge
# compiles with the pinned solc-js (contracts/solc-forge.js): it cannot
# download a native solc here.
FOUNDRY_VERSION := 1.7.1
FOUNDRY_DIR     ?= $(CURDIR)/.tools/foundry
FORGE           ?= $(FOUNDRY_DIR)/node_modules/.bin/forge

.PHONY: foundry
foundry: ## install forge, anvil and cast (npm, pinned 1.7.1) into .tools/foundry
	npm install --prefix $(FOUNDRY_DIR) --no-audit --no-fund --save-exact \
		@foundry-rs/forge-linux-amd64@$(FOUNDRY_VERSION) @foundry-rs/anvil-linux-amd64@$(FOUNDRY_VERSION) \
		@foundry-rs/cast-linux-amd64@$(FOUNDRY_VERSION)

.PHONY: contracts-test
contracts-test: ## forge unit and fuzz tests of contracts/, then the gas per registration (cold storage)
	@test -d contracts/node_modules || (cd contracts && npm ci --no-audit --no-fund)
	@test -x $(FORGE) || $(MAKE) foundry
	cd contracts && $(FORGE) test
	cd contracts && $(FORGE) test --isolate --match-test testGasPerRegistration -vv

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

# One node in its own process, `node loadgen` in another, at 1,000, 10,000
# and 100,000 hosted streams (scripts/bench-scale.sh; docs/benchmarks.md,
# "Scale"). Minutes: the streams are created once and cached in
# BENCH_SCALE_DIR.
.PHONY: bench-scale
bench-scale: ## one node, many hosted streams, loadgen in its own process (docs/benchmarks.md, Scale)
	scripts/bench-scale.sh

# The devchain and 3 node processes at k=3 (scripts/devnet.sh), `node
# loadgen` in its own process posting over the three APIs, figures next to
# the signature ceiling / 3 (scripts/bench-devnet.sh; docs/benchmarks.md,
# "devnet"). Shapes: BENCH_DEVNET_SHAPES="STREAMS:RATE:DURATION ..."; ports:
# DEVNET_PORT, DEVNET_P2P_PORT, DEVNET_CHAIN. A few minutes.
.PHONY: bench-devnet
bench-devnet: ## 3 node processes at k=3 on the devchain, loadgen in its own process (docs/benchmarks.md, devnet)
	scripts/bench-devnet.sh
