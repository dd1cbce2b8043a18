# NeoKV developer commands. `make run` and `make test` are the two a newcomer needs.
GO ?= go
BIN := bin/neokv

.PHONY: run test build vet unit e2e fuzz bench profile cluster clean

build:
	$(GO) build -o $(BIN) ./cmd/neokv

# The embedded single-node default: 127.0.0.1:6379, data in ./data.
run: build
	./$(BIN) server

# Everything CI runs: vet, unit tests (race detector on the concurrent
# packages), end-to-end tests against real processes, and a short fuzz run.
test: vet unit e2e fuzz

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (gofmt -l . && echo "gofmt needed" && exit 1)

unit:
	$(GO) test -race -count=1 ./resp/ ./slots/ ./engine/ ./batching/ ./netio/ ./bench/ ./cmd/neokv/

e2e:
	$(GO) test -count=1 -timeout 15m ./tests/

# A count, not a duration: Go 1.26's fuzz coordinator can report a
# spurious "context deadline exceeded" when a duration runs out on a loaded
# machine (go.dev/issue/75804, fixed in Go 1.27).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 600000x ./resp/
	$(GO) test -run '^$$' -fuzz FuzzReplyLen -fuzztime 200000x ./resp/
	$(GO) test -run '^$$' -fuzz FuzzDecodeRaftFrame -fuzztime 60000x ./batching/
	$(GO) test -run '^$$' -fuzz FuzzCommands -fuzztime 30000x ./engine/
	$(GO) test -run '^$$' -fuzz FuzzHLLValue -fuzztime 20000x ./engine/
	$(GO) test -run '^$$' -fuzz FuzzRDBObject -fuzztime 20000x ./engine/
	$(GO) test -run '^$$' -fuzz FuzzFrontEnd -fuzztime 10000x ./netio/

# A three-member cluster on 127.0.0.1:7001-7003 (Ctrl-C stops all).
cluster: build
	./$(BIN) local-cluster --nodes 3 --port 7001 --dir ./cluster

# A standard benchmark against a running server (start one with `make run`).
bench: build
	./$(BIN) bench -p 6379 -c 50 -P 16 -t set,get -d 100 -r 100000 -n 1000000

profile: build
	./profiles/capture.sh

clean:
	rm -rf bin data cluster
