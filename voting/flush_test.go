package voting_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// fakeLog is a vote log in memory: entries per shard, delivered once, then
// pending until acknowledged. It checks the flusher's one rule about
// acknowledgements: an entry is acknowledged only once the ledger holds its
// vote, and only once.
type fakeLog struct {
	ledger *fakeLedger

	mu      sync.Mutex
	unread  [][]voting.Entry
	pending map[string]bool
	// claimable are entries a dead consumer left pending, handed out by
	// Claim whatever minIdle.
	claimable  []voting.Entry
	acked      []string
	readSizes  map[int]int
	claims     int
	failAcks   int
	ackHook    func()
	violations []string
	// rejected are the ids of the votes set aside with Reject.
	rejected map[string]string
}

func newFakeLog(ledger *fakeLedger, shards, perShard int) *fakeLog {
	l := &fakeLog{ledger: ledger, unread: make([][]voting.Entry, shards), pending: map[string]bool{}, readSizes: map[int]int{}}
	for s := range shards {
		for i := range perShard {
			id := fmt.Sprintf("%d-%d", s, i)
			l.unread[s] = append(l.unread[s], voting.Entry{Shard: s, LogID: id, Vote: voting.Vote{ID: id, CastAt: time.Now()}})
		}
	}
	return l
}

func (l *fakeLog) Shards() int { return len(l.unread) }

func (l *fakeLog) Read(ctx context.Context, shard, max int, wait time.Duration) ([]voting.Entry, error) {
	l.mu.Lock()
	l.readSizes[max]++
	n := min(max, len(l.unread[shard]))
	got := l.unread[shard][:n]
	l.unread[shard] = l.unread[shard][n:]
	for _, e := range got {
		l.pending[e.LogID] = true
	}
	l.mu.Unlock()
	if n == 0 {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return got, nil
}

func (l *fakeLog) Claim(ctx context.Context, shard, max int, minIdle time.Duration) ([]voting.Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.claims++
	var out []voting.Entry
	rest := l.claimable[:0]
	for _, e := range l.claimable {
		if e.Shard == shard && len(out) < max {
			out = append(out, e)
			l.pending[e.LogID] = true
		} else {
			rest = append(rest, e)
		}
	}
	l.claimable = rest
	return out, nil
}

func (l *fakeLog) Unfinished(context.Context, int, int, string) ([]voting.Entry, error) {
	return nil, nil
}

func (l *fakeLog) Reject(ctx context.Context, entries []voting.Entry, reason string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rejected == nil {
		l.rejected = map[string]string{}
	}
	for _, e := range entries {
		if !l.pending[e.LogID] {
			l.violations = append(l.violations, "set aside but not pending: "+e.LogID)
		}
		l.rejected[e.Vote.ID] = reason
	}
	return nil
}

func (l *fakeLog) Acknowledge(ctx context.Context, ids map[int][]string) error {
	if l.ackHook != nil {
		l.ackHook()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failAcks > 0 {
		l.failAcks--
		return fmt.Errorf("ack: %w", kind.ErrUnavailable)
	}
	for shard, list := range ids {
		for _, id := range list {
			if _, aside := l.rejected[id]; !l.ledger.has(id) && !aside {
				l.violations = append(l.violations, "acknowledged before commit: "+id)
			}
			if !l.pending[id] {
				l.violations = append(l.violations, fmt.Sprintf("acknowledged twice or never read: %s (shard %d)", id, shard))
			}
			delete(l.pending, id)
			l.acked = append(l.acked, id)
		}
	}
	return nil
}

// left returns how many entries are unread or pending.
func (l *fakeLog) left() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.pending) + len(l.claimable)
	for _, u := range l.unread {
		n += len(u)
	}
	return n
}

// fakeLedger keeps each vote id once, as the real ledger's unique key does.
type fakeLedger struct {
	mu       sync.Mutex
	votes    map[string]int
	batches  []int
	failures int
	// invalid are vote ids the ledger refuses: a batch holding one fails
	// whole with kind.ErrInvalid, as a COPY does.
	invalid map[string]bool
	// insertHook runs at the start of every insert, with its number from 1.
	insertHook func(n int)
}

func (l *fakeLedger) Insert(_ context.Context, votes []voting.Vote) (int, error) {
	l.mu.Lock()
	n := len(l.batches) + 1
	hook := l.insertHook
	l.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failures > 0 {
		l.failures--
		return 0, fmt.Errorf("insert: %w", kind.ErrUnavailable)
	}
	for _, v := range votes {
		if l.invalid[v.ID] {
			return 0, fmt.Errorf("insert: vote id %q: %w", v.ID, kind.ErrInvalid)
		}
	}
	if l.votes == nil {
		l.votes = map[string]int{}
	}
	l.batches = append(l.batches, len(votes))
	inserted := 0
	for _, v := range votes {
		if l.votes[v.ID] == 0 {
			inserted++
		}
		l.votes[v.ID]++
	}
	return inserted, nil
}

func (l *fakeLedger) has(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.votes[id] > 0
}

func (l *fakeLedger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.votes)
}

// errorLog records the steps the flusher reports as failed.
type errorLog struct {
	mu    sync.Mutex
	steps []string
}

func (o *errorLog) Flushed(size, inserted int, lags []time.Duration) {}

func (o *errorLog) FlushError(step string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.steps = append(o.steps, step)
}

func (o *errorLog) failed(step string) bool { return o.count(step) > 0 }

func (o *errorLog) count(step string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, s := range o.steps {
		if s == step {
			n++
		}
	}
	return n
}

// drain runs f until the log is empty and the ledger holds want votes, then
// stops it and returns Run's error.
func drain(t *testing.T, f *voting.Flusher, log *fakeLog, ledger *fakeLedger, want int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for log.left() > 0 || ledger.count() < want {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("not drained: %d entries left in the log, %d of %d votes in the ledger", log.left(), ledger.count(), want)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestFlusher_Run(t *testing.T) {
	const shards, perShard = 3, 1000
	ledger := &fakeLedger{}
	log := newFakeLog(ledger, shards, perShard)
	f := &voting.Flusher{Stream: log, Ledger: ledger, BatchSize: 200, BatchWait: 5 * time.Millisecond, ClaimIdle: time.Hour}
	drain(t, f, log, ledger, shards*perShard)

	for _, v := range log.violations {
		t.Error(v)
	}
	if len(log.acked) != shards*perShard {
		t.Errorf("%d entries acknowledged; want %d", len(log.acked), shards*perShard)
	}
	for id, n := range ledger.votes {
		if n != 1 {
			t.Errorf("vote %s inserted %d times; want once", id, n)
		}
	}
	// Each shard's share of a batch, 67, is raised to the floor of 100
	// entries a read.
	if len(log.readSizes) != 1 || log.readSizes[100] == 0 {
		t.Errorf("read sizes %v; want every read to ask for 100", log.readSizes)
	}
	for _, n := range ledger.batches {
		if n > 200+100-1 {
			t.Errorf("a batch of %d votes; want at most the batch size and one read's worth more", n)
		}
	}
}

// TestFlusher_Run_ackOverlapsInsert checks that acknowledging a batch does
// not hold up the next insert: the first acknowledgement waits until the
// second insert has begun, which a flusher that acknowledged before writing
// again could never see.
func TestFlusher_Run_ackOverlapsInsert(t *testing.T) {
	ledger := &fakeLedger{}
	log := newFakeLog(ledger, 1, 300)
	second := make(chan struct{})
	var once sync.Once
	ledger.insertHook = func(n int) {
		if n == 2 {
			once.Do(func() { close(second) })
		}
	}
	var acks int
	overlapped := make(chan bool, 1)
	log.ackHook = func() {
		acks++
		if acks != 1 {
			return
		}
		select {
		case <-second:
			overlapped <- true
		case <-time.After(5 * time.Second):
			overlapped <- false
		}
	}
	f := &voting.Flusher{Stream: log, Ledger: ledger, BatchSize: 100, BatchWait: time.Millisecond, ClaimIdle: time.Hour}
	drain(t, f, log, ledger, 300)
	if !<-overlapped {
		t.Fatal("the second insert did not begin while the first batch was being acknowledged")
	}
	for _, v := range log.violations {
		t.Error(v)
	}
}

func TestFlusher_Run_failures(t *testing.T) {
	// runBriefly runs a flusher over log for a moment and returns the steps
	// it reported as failed.
	runBriefly := func(t *testing.T, log *fakeLog, ledger *fakeLedger) *errorLog {
		t.Helper()
		obs := &errorLog{}
		f := &voting.Flusher{Stream: log, Ledger: ledger, Observer: obs, BatchSize: 100, BatchWait: time.Millisecond, ClaimIdle: time.Hour}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := f.Run(ctx); err != nil {
			t.Fatal(err)
		}
		return obs
	}
	t.Run("insert", func(t *testing.T) {
		ledger := &fakeLedger{failures: 1}
		log := newFakeLog(ledger, 1, 50)
		if obs := runBriefly(t, log, ledger); !obs.failed("insert") {
			t.Errorf("failed steps %v; want insert", obs.steps)
		}
		// The only batch failed, so nothing may be acknowledged: its
		// entries wait in the log for a claim.
		if len(log.acked) != 0 || log.left() != 50 {
			t.Errorf("%d acknowledged, %d left in the log; want 0 and 50", len(log.acked), log.left())
		}
	})
	t.Run("ack", func(t *testing.T) {
		ledger := &fakeLedger{}
		log := newFakeLog(ledger, 1, 50)
		log.failAcks = 1
		if obs := runBriefly(t, log, ledger); !obs.failed("ack") {
			t.Errorf("failed steps %v; want ack", obs.steps)
		}
		if ledger.count() != 50 || len(log.acked) != 0 || log.left() != 50 {
			t.Errorf("ledger %d, acknowledged %d, left %d; want 50 committed and all 50 still pending", ledger.count(), len(log.acked), log.left())
		}
	})
}

// TestFlusher_Run_claimsUntilEmpty checks that a flusher taking over a dead
// consumer's entries claims again at once while claims come back full,
// rather than every half ClaimIdle.
func TestFlusher_Run_claimsUntilEmpty(t *testing.T) {
	ledger := &fakeLedger{}
	log := newFakeLog(ledger, 1, 0)
	for i := range 1000 {
		id := fmt.Sprintf("dead-%d", i)
		log.claimable = append(log.claimable, voting.Entry{LogID: id, Vote: voting.Vote{ID: id, CastAt: time.Now()}})
	}
	f := &voting.Flusher{Stream: log, Ledger: ledger, BatchSize: 100, BatchWait: time.Millisecond, ClaimIdle: time.Hour}
	drain(t, f, log, ledger, 1000)
	if log.claims < 10 {
		t.Errorf("%d claims for 1000 entries at 100 a claim", log.claims)
	}
	for _, v := range log.violations {
		t.Error(v)
	}
}

func TestFlusher_Run_afterCommitStops(t *testing.T) {
	ledger := &fakeLedger{}
	log := newFakeLog(ledger, 2, 100)
	stop := errors.New("stop")
	f := &voting.Flusher{Stream: log, Ledger: ledger, BatchSize: 50, BatchWait: time.Millisecond, ClaimIdle: time.Hour,
		AfterCommit: func() error { return stop }}
	if err := f.Run(context.Background()); !errors.Is(err, stop) {
		t.Fatalf("run returned %v; want the AfterCommit error", err)
	}
	if ledger.count() == 0 || len(log.acked) != 0 {
		t.Fatalf("ledger %d, acknowledged %d; want a committed batch and nothing acknowledged", ledger.count(), len(log.acked))
	}
}

// TestFlusher_Run_invalidVotes: votes the ledger refuses for good are set
// aside one by one, the other votes of their batches land, and every entry
// is acknowledged, so no batch is held back for ever.
func TestFlusher_Run_invalidVotes(t *testing.T) {
	const shards, perShard = 2, 500
	ledger := &fakeLedger{invalid: map[string]bool{"0-7": true, "0-8": true, "1-499": true}}
	log := newFakeLog(ledger, shards, perShard)
	errs := &errorLog{}
	f := &voting.Flusher{Stream: log, Ledger: ledger, Observer: errs, BatchSize: 200, BatchWait: 5 * time.Millisecond, ClaimIdle: time.Hour}
	drain(t, f, log, ledger, shards*perShard-len(ledger.invalid))

	for _, v := range log.violations {
		t.Error(v)
	}
	if len(log.acked) != shards*perShard {
		t.Errorf("%d entries acknowledged; want all %d", len(log.acked), shards*perShard)
	}
	for id := range ledger.invalid {
		if ledger.has(id) {
			t.Errorf("invalid vote %s is in the ledger", id)
		}
		if reason, ok := log.rejected[id]; !ok || !strings.Contains(reason, id) {
			t.Errorf("invalid vote %s set aside with reason %q (%v); want its own error", id, reason, ok)
		}
	}
	if len(log.rejected) != len(ledger.invalid) {
		t.Errorf("%d votes set aside; want %d", len(log.rejected), len(ledger.invalid))
	}
	for id, n := range ledger.votes {
		if n != 1 {
			t.Errorf("vote %s inserted %d times; want once", id, n)
		}
	}
	if got := errs.count("reject"); got != len(ledger.invalid) {
		t.Errorf("%d rejections reported; want %d", got, len(ledger.invalid))
	}
}
