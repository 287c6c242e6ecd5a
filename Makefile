# The two commands a newcomer needs: `make run` and `make test`. Both provision
# their own Redis and PostgreSQL (see deploy/local/stack.sh).
GO ?= go
TEST_FLAGS ?= -race -count=1 -timeout 45m

.PHONY: run test bench build vet lint fuzz replay replay-scaleout chaos failover fraud screenshots fraud-live ledger-scale

# run builds first and starts the binary itself (not through `go run`), so that
# Ctrl-C or a TERM reaches the server, which then stops cleanly.
run: build
	deploy/local/stack.sh run bin/prizes dev

test:
	deploy/local/stack.sh test $(GO) test $(TEST_FLAGS) ./...

build:
	$(GO) build -o bin/ ./cmd/...

# screenshots runs the site's browser test on the throwaway stack and keeps a
# PNG of every page it visits, in English and Arabic, at a phone's and a
# desktop's size, in docs/screenshots/.
screenshots:
	SITE_SCREENSHOTS=$(CURDIR)/docs/screenshots deploy/local/stack.sh test $(GO) test -count=1 -timeout 45m -run '^TestSite_browser' ./api/

vet:
	$(GO) vet ./...

# lint runs staticcheck at a pinned version, so every machine reports the same.
STATICCHECK_VERSION := v0.8.2
lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# A new interesting input is minimised for up to a minute by default, time in
# which the fuzzer runs nothing else; a short minimisation keeps it fuzzing.
# Go fuzzes one target at a time: the vote decoder, then the one every other
# JSON route uses.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeVote$$' -fuzztime 60s -fuzzminimizetime 2s ./api/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime 60s -fuzzminimizetime 2s ./api/

# bench measures the vote path against the plain Gin handler (a/b) on the
# throwaway stack, then the three targets of the naive comparison (a/b/c, and
# the flusher against a raw COPY) on a private PostgreSQL with fsync on, as a
# system of record runs, kept in a temp folder that is removed afterwards.
bench: build
	deploy/local/stack.sh test bin/prizes-loadtest bench --out docs/benchmarks.md
	d=$$(mktemp -d) && PRIZES_DATA_DIR=$$d deploy/local/stack.sh run bin/prizes-loadtest naive; s=$$?; rm -rf "$$d"; exit $$s

# replay plays the WSIS 2021 volume end to end on a fresh local deployment and
# writes docs/replay/wsis2021.md (SCENARIO=path/to/file.json for another).
SCENARIO ?= loadtest/scenarios/wsis2021.json
replay: build
	deploy/local/stack.sh test bin/prizes-loadtest replay --scenario $(SCENARIO) --out docs/replay

# replay-scaleout plays the same scenario on the design scaled out on this
# machine: a 3-master Redis Cluster, two API nodes and two prizes flush
# processes; it writes docs/replay-scaleout/wsis2021.md.
replay-scaleout: build
	deploy/local/stack.sh test bin/prizes-loadtest replay --scenario $(SCENARIO) --out docs/replay-scaleout \
		--redis-masters 3 --api-nodes 2 --flushers 2

# chaos kills prizes serve, prizes flush and Redis with SIGKILL and stops
# PostgreSQL, one after the other under a steady load, on a deployment it
# starts for itself (Redis with appendfsync always, PostgreSQL with fsync on;
# stack.sh installs both where missing), then checks that every acknowledged
# vote is in the ledger once; it writes docs/chaos.md and fails when a vote
# is missing or there twice, or prizes check fails.
chaos: build
	deploy/local/stack.sh test bin/prizes-loadtest chaos --out docs/chaos.md

# failover kills a Redis Cluster master under load and lets its replica take
# over, on a deployment it starts for itself (3 masters with a replica each,
# two API nodes, one prizes flush), once with prizes' --ack-replicas 0 and
# once with 1, then compares every acknowledged vote with the ledger; it
# writes docs/failover.md and fails when a vote acknowledged with
# --ack-replicas 1 is missing or there twice. FAILOVER_FLAGS go to the
# drill (--rate N --before D --after D --ack-replicas 0,1).
FAILOVER_FLAGS ?=
failover: build
	deploy/local/stack.sh test bin/prizes-loadtest failover $(FAILOVER_FLAGS) --out docs/failover.md

# fraud generates a month of labelled votes at WSIS scale (prizes-loadtest
# fraud-gen: about 1.3 million votes, honest crowds and attacks) in a temp
# folder, runs the analyser on the export without the labels, and judges its
# verdicts per crowd and attack into docs/fraud.md. FRAUD_FLAGS go to
# fraud-gen (--votes N --seed S); --strict in FRAUD_REPORT_FLAGS fails on a
# missed target.
FRAUD_FLAGS ?=
FRAUD_REPORT_FLAGS ?=
fraud: build
	d=$$(mktemp -d) && bin/prizes-loadtest fraud-gen $(FRAUD_FLAGS) --out $$d/votes.jsonl --labels $$d/labels.jsonl --summary $$d/traffic.json && \
		bin/prizes fraud analyze --from $$d/votes.jsonl --out $$d/verdicts.jsonl && \
		bin/prizes-loadtest fraud-report $(FRAUD_REPORT_FLAGS) --votes $$d/votes.jsonl --labels $$d/labels.jsonl \
			--verdicts $$d/verdicts.jsonl --summary $$d/traffic.json --out docs/fraud.md >/dev/null; s=$$?; rm -rf "$$d"; exit $$s

# fraud-live plays a labelled month (fraud-gen, 60,000 votes by default)
# through prizes serve's vote path in five minutes, on a deployment it
# starts for itself, and judges the ingest scorer's statuses and the batch
# analyser's verdicts on the live ledger into docs/fraud-live.md (and .json).
# FRAUD_LIVE_FLAGS go to fraud-live (--votes N --play D --seed S).
FRAUD_LIVE_FLAGS ?=
fraud-live: build
	deploy/local/stack.sh test bin/prizes-loadtest fraud-live $(FRAUD_LIVE_FLAGS) --out docs/fraud-live.md

# ledger-scale generates ledgers of LEDGER_VOTES votes (100 million by
# default) in ten WSIS-shaped editions with binary COPY, not through the API,
# on a private PostgreSQL with fsync on in a temp folder that is removed
# afterwards, and times prizes recount (and --verify), the Champions, the
# tally, the results digest and a flush batch on the partitioned ledger, on
# an empty one and on the unpartitioned table of migrations 0001 to 0007
# holding the same votes; it writes docs/ledger-scale.md, docs/ledger-scale.json
# and a section of docs/benchmarks.md. One ledger is on disk at a time: about
# 430 bytes a vote with its indexes, 40 GiB for 100 million, plus WAL.
LEDGER_VOTES ?= 100000000
LEDGER_FLAGS ?=
ledger-scale: build
	nice -n 10 bin/prizes-loadtest ledger-scale --votes $(LEDGER_VOTES) --editions 10 $(LEDGER_FLAGS)
