package voting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Entry is one vote read from the vote log, with the shard it was read from
// and the log's own id for it.
type Entry struct {
	Shard int
	LogID string
	Vote  Vote
}

// Stream is the consumer side of the vote log: sharded streams read through a
// consumer group, so several flushers share the work and an entry stays
// pending until it is acknowledged.
type Stream interface {
	// Shards returns the number of shard streams.
	Shards() int
	// Read returns up to max new entries of one shard for this consumer,
	// waiting at most wait for the first. It returns ErrUnavailable when the
	// store cannot be reached.
	Read(ctx context.Context, shard, max int, wait time.Duration) ([]Entry, error)
	// Claim takes over up to max entries of one shard that another consumer
	// read but did not acknowledge within minIdle (it died, most likely).
	Claim(ctx context.Context, shard, max int, minIdle time.Duration) ([]Entry, error)
	// Ack acknowledges entries that are safely in the ledger and removes them
	// from the log.
	Ack(ctx context.Context, shard int, logIDs []string) error
}

// Ledger is the system of record.
type Ledger interface {
	// Insert writes votes idempotently: a vote whose id (or whose voter and
	// slot) is already in the ledger is skipped. It returns how many rows were
	// new, and commits before returning.
	Insert(ctx context.Context, votes []Vote) (int, error)
}

// FlushObserver is told what the flusher does, for metrics.
type FlushObserver interface {
	// Flushed reports one committed batch: its size, how many rows were new,
	// and each vote's lag from acceptance to commit.
	Flushed(size, inserted int, lags []time.Duration)
	// FlushError reports a failed step ("read", "claim", "insert", "ack").
	FlushError(step string, err error)
}

// Flusher moves votes from the log into the ledger: read, insert (idempotently)
// and commit, then acknowledge. A crash between commit and acknowledge leaves
// the entries pending; they are claimed and inserted again, and the ledger
// skips them, so every vote lands exactly once.
//
// One reader per shard feeds one writer, so a ledger transaction carries the
// votes of every shard: under load the batches are large and PostgreSQL sees
// few transactions however many shards there are.
type Flusher struct {
	Stream   Stream
	Ledger   Ledger
	Observer FlushObserver
	Now      func() time.Time
	// BatchSize is the most votes per ledger transaction.
	BatchSize int
	// BatchWait is how long a partial batch may wait for more votes; a shard
	// reader also waits this long between reads that came back short, so
	// that each read returns many entries rather than one.
	BatchWait time.Duration
	// ClaimIdle is how long an entry may stay pending with a consumer before
	// another takes it over.
	ClaimIdle time.Duration
	// AfterCommit, when set, runs after a batch is committed and before it is
	// acknowledged; returning an error stops the flusher there, which is how a
	// crash at that point is rehearsed.
	AfterCommit func() error
}

// errStopped marks an AfterCommit stop, which Run returns.
var errStopped = errors.New("flusher stopped after commit")

func (f *Flusher) defaults() {
	if f.BatchSize <= 0 {
		f.BatchSize = 2000
	}
	if f.BatchWait <= 0 {
		f.BatchWait = 50 * time.Millisecond
	}
	if f.ClaimIdle <= 0 {
		f.ClaimIdle = 30 * time.Second
	}
	if f.Now == nil {
		f.Now = time.Now
	}
}

// Run flushes every shard until ctx is done, then writes what it has already
// read. It returns nil on cancellation and an error only when AfterCommit
// stops it.
func (f *Flusher) Run(ctx context.Context) error {
	f.defaults()
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	read := make(chan []Entry, f.Stream.Shards())
	var wg sync.WaitGroup
	for shard := 0; shard < f.Stream.Shards(); shard++ {
		wg.Add(1)
		go func(shard int) {
			defer wg.Done()
			f.readShard(readCtx, shard, read)
		}(shard)
	}
	err := f.write(ctx, read)
	stopReading()
	wg.Wait()
	return err
}

// readShard sends the entries of one shard to the writer: entries another
// consumer left pending too long, then new ones.
func (f *Flusher) readShard(ctx context.Context, shard int, out chan<- []Entry) {
	nextClaim := time.Time{}
	backoff := 100 * time.Millisecond
	send := func(es []Entry) bool {
		select {
		case out <- es:
			return true
		case <-ctx.Done():
			// Entries read but not handed over stay pending in the log and
			// are claimed again later: nothing is lost.
			return false
		}
	}
	for ctx.Err() == nil {
		if now := f.Now(); !now.Before(nextClaim) {
			nextClaim = now.Add(f.ClaimIdle / 2)
			claimed, err := f.Stream.Claim(ctx, shard, f.BatchSize, f.ClaimIdle)
			if err != nil {
				f.fail(ctx, "claim", err, &backoff)
				continue
			}
			if len(claimed) > 0 && !send(claimed) {
				return
			}
		}
		got, err := f.Stream.Read(ctx, shard, f.BatchSize, f.BatchWait)
		if err != nil {
			if ctx.Err() == nil {
				f.fail(ctx, "read", err, &backoff)
			}
			continue
		}
		backoff = 100 * time.Millisecond
		if len(got) > 0 && !send(got) {
			return
		}
		if len(got) > 0 && len(got) < f.BatchSize {
			sleep(ctx, f.BatchWait)
		}
	}
}

// write gathers entries into batches and flushes each when it is full or has
// waited BatchWait. When ctx ends it flushes what it holds and returns.
func (f *Flusher) write(ctx context.Context, in <-chan []Entry) error {
	var batch []Entry
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	backoff := 100 * time.Millisecond
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := f.flush(ctx, batch)
		if errors.Is(err, errStopped) {
			return err
		}
		if err != nil {
			// Nothing was acknowledged: the entries stay pending and are
			// claimed again once idle.
			f.fail(ctx, "flush", err, &backoff)
		} else {
			backoff = 100 * time.Millisecond
		}
		batch = batch[:0]
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case es := <-in:
					batch = append(batch, es...)
					continue
				default:
				}
				break
			}
			return flush()
		case es := <-in:
			if len(batch) == 0 {
				timer.Reset(f.BatchWait)
			}
			batch = append(batch, es...)
			if len(batch) >= f.BatchSize {
				timer.Stop()
				if err := flush(); err != nil {
					return err
				}
			}
		case <-timer.C:
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// flush writes one batch and acknowledges it, shard by shard. On a failed
// insert nothing is acknowledged.
func (f *Flusher) flush(ctx context.Context, batch []Entry) error {
	votes := make([]Vote, len(batch))
	ids := make(map[int][]string)
	for i, e := range batch {
		votes[i] = e.Vote
		ids[e.Shard] = append(ids[e.Shard], e.LogID)
	}
	// A flush that has started runs to its end even when ctx is cancelled, so
	// a clean shutdown does not leave committed batches unacknowledged.
	wctx := context.WithoutCancel(ctx)
	inserted, err := f.Ledger.Insert(wctx, votes)
	if err != nil {
		return fmt.Errorf("flush %d votes: insert: %w", len(votes), err)
	}
	now := f.Now()
	if f.AfterCommit != nil {
		if err := f.AfterCommit(); err != nil {
			return fmt.Errorf("flush %d votes: %w: %w", len(votes), errStopped, err)
		}
	}
	// The shards are acknowledged at once rather than one after another: each
	// is a round trip of its own, and on a cluster often to another node.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for shard, logIDs := range ids {
		wg.Add(1)
		go func(shard int, logIDs []string) {
			defer wg.Done()
			if err := f.Stream.Ack(wctx, shard, logIDs); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("flush %d votes: ack shard %d: %w", len(votes), shard, err)
				}
				mu.Unlock()
			}
		}(shard, logIDs)
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if f.Observer != nil {
		lags := make([]time.Duration, len(votes))
		for i, v := range votes {
			lags[i] = now.Sub(v.CastAt)
		}
		f.Observer.Flushed(len(batch), inserted, lags)
	}
	return nil
}

func (f *Flusher) fail(ctx context.Context, step string, err error, backoff *time.Duration) {
	if f.Observer != nil {
		f.Observer.FlushError(step, err)
	}
	sleep(ctx, *backoff)
	if *backoff < 5*time.Second {
		*backoff *= 2
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
