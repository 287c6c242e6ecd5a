package voting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
)

// Entry is one vote read from the vote log, with the shard it was read from
// and the log's own id for the entry that holds it. A log entry may hold
// several votes, which then share its LogID; it is acknowledged once all of
// them are in the ledger.
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
	// Read returns the votes of up to max new log entries of one shard for
	// this consumer, waiting at most wait for the first; the votes of one
	// log entry come in the same Read, one after the other. It returns
	// kind.ErrUnavailable when the store cannot be reached.
	Read(ctx context.Context, shard, max int, wait time.Duration) ([]Entry, error)
	// Claim takes over the votes of up to max log entries of one shard that
	// another consumer read but did not acknowledge within minIdle (it died,
	// most likely).
	Claim(ctx context.Context, shard, max int, minIdle time.Duration) ([]Entry, error)
	// Unfinished returns the votes of up to max log entries of one shard
	// that this consumer read before and never acknowledged, oldest first,
	// from after the log id after ("" for the first): what a flusher
	// restarted under the same name left behind. It returns kind.ErrUnavailable
	// when the store cannot be reached.
	Unfinished(ctx context.Context, shard, max int, after string) ([]Entry, error)
	// Acknowledge acknowledges entries that are safely in the ledger, given
	// by shard, and removes them from the log. It returns kind.ErrUnavailable
	// when the store cannot be reached; entries it could not acknowledge
	// stay pending.
	Acknowledge(ctx context.Context, logIDs map[int][]string) error
	// Reject keeps votes the ledger refuses for good (kind.ErrInvalid) aside,
	// with the reason, where an operator can find them; the flusher then
	// acknowledges their log entries with the rest of their batch, so that
	// such a vote neither holds its batch back forever nor is lost. It
	// returns kind.ErrUnavailable when the store cannot be reached.
	Reject(ctx context.Context, entries []Entry, reason string) error
}

// Ledger is the system of record.
type Ledger interface {
	// Insert writes votes idempotently: a vote whose id (or whose voter and
	// slot) is already in the ledger is skipped. It returns how many rows were
	// new, and commits before returning. A vote the ledger can never hold (an
	// id that is not a UUID, say) fails the whole call with an error
	// wrapping kind.ErrInvalid, and nothing is written.
	Insert(ctx context.Context, votes []Vote) (int, error)
}

// FlushObserver is told what the flusher does, for metrics.
type FlushObserver interface {
	// Flushed reports one committed batch: its size, how many rows were new,
	// and each vote's lag from acceptance to commit.
	Flushed(size, inserted int, lags []time.Duration)
	// FlushError reports a failed step ("read", "claim", "insert", "ack"),
	// or a vote the ledger refused and the flusher set aside ("reject").
	FlushError(step string, err error)
}

// Flusher moves votes from the log into the ledger: read, insert (idempotently)
// and commit, then acknowledge. A crash between commit and acknowledge leaves
// the entries pending; they are claimed and inserted again, and the ledger
// skips them, so every vote lands exactly once.
//
// One reader per shard feeds one writer, so a ledger transaction carries the
// votes of every shard: under load the batches are large and PostgreSQL sees
// few transactions however many shards there are. The writer hands each
// committed batch to an acknowledger and goes on to the next, so that while
// a backlog drains, the ledger is kept busy: the readers fetch the next batch
// and the acknowledger clears the last one from the log during each insert.
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
	// Batches are acknowledged by a goroutine of their own, so that the
	// writer starts the next COPY while the last batch's XACK and XDEL are
	// on their way: the acknowledgement then costs the ledger no time. The
	// channel holds one batch, so acknowledgements never fall more than
	// two batches behind the commits.
	acks := make(chan committed, 1)
	acked := make(chan struct{})
	go func() {
		defer close(acked)
		f.acknowledge(ctx, acks)
	}()
	err := f.write(ctx, read, acks)
	close(acks)
	<-acked
	stopReading()
	wg.Wait()
	return err
}

// readShard sends the entries of one shard to the writer: entries another
// consumer left pending too long, then new ones.
func (f *Flusher) readShard(ctx context.Context, shard int, out chan<- []Entry) {
	size := f.readSize()
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
	if !f.resume(ctx, shard, size, send) {
		return
	}
	for ctx.Err() == nil {
		if now := f.Now(); !now.Before(nextClaim) {
			nextClaim = now.Add(f.ClaimIdle / 2)
			claimed, err := f.Stream.Claim(ctx, shard, size, f.ClaimIdle)
			if err != nil {
				f.fail(ctx, "claim", err, &backoff)
				continue
			}
			if len(claimed) > 0 && !send(claimed) {
				return
			}
			// A full claim means a dead consumer left more behind, so the
			// next round claims again rather than half a ClaimIdle later.
			if logEntries(claimed) >= size {
				nextClaim = time.Time{}
			}
		}
		got, err := f.Stream.Read(ctx, shard, size, f.BatchWait)
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
		if len(got) > 0 && logEntries(got) < size {
			sleep(ctx, f.BatchWait)
		}
	}
}

// resume hands on, before anything new, the entries of one shard that this
// consumer read in an earlier life and never acknowledged: a flusher
// restarted under its name takes them back at once, rather than after
// ClaimIdle, when any flusher could claim them. A failure leaves them to the
// claims. It returns false when ctx ended.
func (f *Flusher) resume(ctx context.Context, shard, size int, send func([]Entry) bool) bool {
	after := ""
	for ctx.Err() == nil {
		es, err := f.Stream.Unfinished(ctx, shard, size, after)
		if err != nil || len(es) == 0 {
			return ctx.Err() == nil
		}
		if !send(es) {
			return false
		}
		after = es[len(es)-1].LogID
	}
	return false
}

// logEntries counts the log entries es came from.
func logEntries(es []Entry) int {
	n := 0
	for i := range es {
		if i == 0 || es[i].LogID != es[i-1].LogID || es[i].Shard != es[i-1].Shard {
			n++
		}
	}
	return n
}

// minReadSize keeps a shard read large enough that its round trip stays a
// small part of its cost when there are many shards.
const minReadSize = 100

// readSize is how many entries a shard reader asks for at a time: the
// shard's share of a batch. The readers then hold about one batch between
// them, and the channel to the writer one more, rather than a batch each: a
// flusher that starts on a long backlog does not read and decode a batch for
// every shard while its first one is written, and one that dies leaves that
// much less pending for the others to claim. The smaller replies also cost
// less to take apart than the same entries in whole batches.
func (f *Flusher) readSize() int {
	shards := max(f.Stream.Shards(), 1)
	return min(f.BatchSize, max((f.BatchSize+shards-1)/shards, minReadSize))
}

// write gathers entries into batches and flushes each when it is full or has
// waited BatchWait, handing every committed batch to acks. When ctx ends it
// flushes what it holds and returns.
func (f *Flusher) write(ctx context.Context, in <-chan []Entry, acks chan<- committed) error {
	var (
		batch []Entry
		votes []Vote
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	backoff := 100 * time.Millisecond
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		votes = votes[:0]
		for _, e := range batch {
			votes = append(votes, e.Vote)
		}
		done, err := f.insert(ctx, batch, votes)
		batch = batch[:0]
		switch {
		case errors.Is(err, errStopped):
			return err
		case err != nil:
			// Nothing was acknowledged: the entries stay pending and are
			// claimed again once idle.
			f.fail(ctx, "insert", err, &backoff)
			return nil
		}
		backoff = 100 * time.Millisecond
		acks <- done
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

// committed is a batch that is in the ledger and still in the log: the log
// ids of its entries, by shard.
type committed struct {
	size int
	ids  map[int][]string
}

// insert writes one batch into the ledger and returns what is left to
// acknowledge. votes are the batch's votes, in a slice the caller reuses.
func (f *Flusher) insert(ctx context.Context, batch []Entry, votes []Vote) (committed, error) {
	// A flush that has started runs to its end even when ctx is cancelled, so
	// a clean shutdown does not leave committed batches unacknowledged.
	inserted, err := f.Ledger.Insert(context.WithoutCancel(ctx), votes)
	if errors.Is(err, kind.ErrInvalid) {
		inserted, err = f.insertValid(context.WithoutCancel(ctx), batch, err)
	}
	if err != nil {
		return committed{}, fmt.Errorf("flush %d votes: insert: %w", len(votes), err)
	}
	now := f.Now()
	if f.AfterCommit != nil {
		if err := f.AfterCommit(); err != nil {
			return committed{}, fmt.Errorf("flush %d votes: %w: %w", len(votes), errStopped, err)
		}
	}
	done := committed{size: len(batch), ids: make(map[int][]string)}
	for _, e := range batch {
		// The votes of one log entry are next to each other.
		ids := done.ids[e.Shard]
		if len(ids) == 0 || ids[len(ids)-1] != e.LogID {
			done.ids[e.Shard] = append(ids, e.LogID)
		}
	}
	if f.Observer != nil {
		lags := make([]time.Duration, len(votes))
		for i := range votes {
			lags[i] = now.Sub(votes[i].CastAt)
		}
		f.Observer.Flushed(len(batch), inserted, lags)
	}
	return done, nil
}

// insertValid writes the votes of a batch the ledger refused as invalid,
// with refusal the error it gave: it halves the batch until each vote the
// ledger refuses stands alone, writes the others, and sets the refused ones
// aside with Stream.Reject. It costs a few inserts per refused vote, which
// only a bug elsewhere produces.
func (f *Flusher) insertValid(ctx context.Context, batch []Entry, refusal error) (int, error) {
	type refused struct {
		entry  Entry
		reason string
	}
	var set []refused
	var walk func(es []Entry) (int, error)
	// split takes es, which the ledger refused with err: a lone vote is set
	// aside, more are tried again in halves.
	split := func(es []Entry, err error) (int, error) {
		if len(es) == 1 {
			set = append(set, refused{es[0], err.Error()})
			return 0, nil
		}
		half := len(es) / 2
		a, err := walk(es[:half])
		if err != nil {
			return a, err
		}
		b, err := walk(es[half:])
		return a + b, err
	}
	walk = func(es []Entry) (int, error) {
		votes := make([]Vote, len(es))
		for i, e := range es {
			votes[i] = e.Vote
		}
		n, err := f.Ledger.Insert(ctx, votes)
		switch {
		case err == nil:
			return n, nil
		case !errors.Is(err, kind.ErrInvalid):
			return 0, err
		}
		return split(es, err)
	}
	inserted, err := split(batch, refusal)
	if err != nil {
		return inserted, err
	}
	for _, r := range set {
		if err := f.Stream.Reject(ctx, []Entry{r.entry}, r.reason); err != nil {
			return inserted, fmt.Errorf("set aside vote %s: %w", r.entry.Vote.ID, err)
		}
		if f.Observer != nil {
			f.Observer.FlushError("reject", fmt.Errorf("vote %s set aside: %s", r.entry.Vote.ID, r.reason))
		}
	}
	return inserted, nil
}

// acknowledge acknowledges committed batches, in the order they were
// committed, until in is closed. A batch whose acknowledgement fails stays
// pending in the log; it is claimed once idle, inserted again, and the ledger
// skips it.
func (f *Flusher) acknowledge(ctx context.Context, in <-chan committed) {
	backoff := 100 * time.Millisecond
	for b := range in {
		if err := f.ack(ctx, b); err != nil {
			f.fail(ctx, "ack", err, &backoff)
			continue
		}
		backoff = 100 * time.Millisecond
	}
}

// ack acknowledges one committed batch.
func (f *Flusher) ack(ctx context.Context, b committed) error {
	// Acknowledgements run to their end even when ctx is cancelled, for the
	// same reason as the insert before them.
	if err := f.Stream.Acknowledge(context.WithoutCancel(ctx), b.ids); err != nil {
		return fmt.Errorf("flush %d votes: ack: %w", b.size, err)
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
