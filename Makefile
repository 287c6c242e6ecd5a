# The two commands a newcomer needs: `make run` and `make test`. Both provision
# their own Redis and PostgreSQL (see deploy/local/stack.sh).
GO ?= go
TEST_FLAGS ?= -race -count=1 -timeout 20m

.PHONY: run test bench build vet fuzz

run:
	deploy/local/stack.sh run $(GO) run ./cmd/prizes dev

test:
	deploy/local/stack.sh test $(GO) test $(TEST_FLAGS) ./...

build:
	$(GO) build -o bin/ ./cmd/...

vet:
	$(GO) vet ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodeVote -fuzztime 60s ./api/

bench: build
	deploy/local/stack.sh test bin/prizes-loadtest bench --out docs/benchmarks.md
