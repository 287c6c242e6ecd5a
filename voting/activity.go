package voting

import (
	"errors"
	"slices"
	"sync"
	"time"
)

// ActivityCounts is what one node saw in one minute: the outcome of every
// vote request of an edition that it answered, and the votes its flusher
// moved to the ledger with their lag. Accepted counts every vote answered
// 202 whatever its status; Flagged and Rejected count those of them the
// ingest scorer recorded so (the voter is never told). Duplicate counts
// votes refused because the slot was taken and retries answered with their
// first receipt; Refused counts every other refusal (rate limits, a closed
// vote, a full category, an unavailable store).
type ActivityCounts struct {
	Accepted, Flagged, Rejected, Duplicate, Refused int64
	// Flushed is the number of votes the flusher committed, LagSum their
	// summed lag from acceptance to commit and LagMax the longest.
	Flushed        int64
	LagSum, LagMax time.Duration
}

func (c *ActivityCounts) add(o ActivityCounts) {
	c.Accepted += o.Accepted
	c.Flagged += o.Flagged
	c.Rejected += o.Rejected
	c.Duplicate += o.Duplicate
	c.Refused += o.Refused
	c.Flushed += o.Flushed
	c.LagSum += o.LagSum
	c.LagMax = max(c.LagMax, o.LagMax)
}

// Counted is the accepted votes the ingest scorer neither flagged nor
// rejected.
func (c ActivityCounts) Counted() int64 { return c.Accepted - c.Flagged - c.Rejected }

// Votes is every vote request the counts answered.
func (c ActivityCounts) Votes() int64 { return c.Accepted + c.Duplicate + c.Refused }

// LagMean is the mean lag of the flushed votes, zero when none was flushed.
func (c ActivityCounts) LagMean() time.Duration {
	if c.Flushed == 0 {
		return 0
	}
	return c.LagSum / time.Duration(c.Flushed)
}

// ActivitySample is an edition's counts in one minute (Minute is its start,
// in UTC). The flusher's counts are the whole node's, under the edition "":
// one batch carries the votes of every edition.
type ActivitySample struct {
	Edition string
	Minute  time.Time
	ActivityCounts
}

// Activity keeps the counts of the last minutes on one node, for the
// organisers' live dashboard. Each node saves its own samples (every few
// seconds, the minutes that changed) and the dashboard adds up the nodes',
// so the figures hold however many API nodes and flushers run. Only editions
// the catalogue knows are counted, so a request for a made-up edition cannot
// grow it. It is safe for concurrent use; its zero value is not: use
// NewActivity.
type Activity struct {
	now func() time.Time

	mu      sync.Mutex
	minutes map[activityKey]*activityMinute
}

type activityKey struct {
	edition string
	minute  int64
}

type activityMinute struct {
	counts ActivityCounts
	dirty  bool
}

// activityKeep is how many minutes a saved minute stays in memory: a
// request answered just after a minute ended still lands in it.
const activityKeep = 2

// NewActivity returns an empty Activity reading the time from now.
func NewActivity(now func() time.Time) *Activity {
	return &Activity{now: now, minutes: map[activityKey]*activityMinute{}}
}

// bump adds to the current minute of edition.
func (a *Activity) bump(edition string, f func(*ActivityCounts)) {
	k := activityKey{edition: edition, minute: a.now().Unix() / 60}
	a.mu.Lock()
	m := a.minutes[k]
	if m == nil {
		m = &activityMinute{}
		a.minutes[k] = m
	}
	f(&m.counts)
	m.dirty = true
	a.mu.Unlock()
}

// Cast counts one answered vote request of edition: accepted with status
// when err is nil and the receipt is new, a duplicate when the slot was
// taken or the receipt was replayed, refused otherwise.
func (a *Activity) Cast(edition string, status Status, replayed bool, err error) {
	a.bump(edition, func(c *ActivityCounts) {
		switch {
		case err == nil && !replayed:
			c.Accepted++
			switch status {
			case StatusFlagged:
				c.Flagged++
			case StatusRejected:
				c.Rejected++
			}
		case err == nil, errors.Is(err, ErrDuplicate):
			c.Duplicate++
		default:
			c.Refused++
		}
	})
}

// Flushed implements FlushObserver: it counts the batch's new votes and
// their lags under the edition "".
func (a *Activity) Flushed(size, inserted int, lags []time.Duration) {
	if len(lags) == 0 {
		return
	}
	a.bump("", func(c *ActivityCounts) {
		c.Flushed += int64(len(lags))
		for _, l := range lags {
			c.LagSum += l
			c.LagMax = max(c.LagMax, l)
		}
	})
}

// FlushError implements FlushObserver; errors are the metrics' concern.
func (a *Activity) FlushError(string, error) {}

// Changed returns the minutes counted since the last call, each with its
// whole count so far, so saving a minute twice is harmless. Minutes older
// than a couple of minutes that have nothing new are forgotten.
func (a *Activity) Changed() []ActivitySample {
	oldest := a.now().Unix()/60 - activityKeep
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []ActivitySample
	for k, m := range a.minutes {
		if m.dirty {
			out = append(out, ActivitySample{Edition: k.edition, Minute: time.Unix(k.minute*60, 0).UTC(), ActivityCounts: m.counts})
			m.dirty = false
		} else if k.minute < oldest {
			delete(a.minutes, k)
		}
	}
	return out
}

// Unsaved marks samples that could not be saved as changed again, so the
// next Changed returns them (with whatever was added meanwhile).
func (a *Activity) Unsaved(samples []ActivitySample) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range samples {
		if m, ok := a.minutes[activityKey{edition: s.Edition, minute: s.Minute.Unix() / 60}]; ok {
			m.dirty = true
		}
	}
}

// ActivityTotal adds samples up by minute: the dashboard's series, from the
// samples of every node. Samples of edition "" (the flushers') add only
// their flush counts to the minute. The result is in time order.
func ActivityTotal(samples []ActivitySample) []ActivitySample {
	by := map[int64]*ActivitySample{}
	for _, s := range samples {
		k := s.Minute.Unix() / 60
		t := by[k]
		if t == nil {
			t = &ActivitySample{Minute: time.Unix(k*60, 0).UTC()}
			by[k] = t
		}
		c := s.ActivityCounts
		if s.Edition == "" {
			c = ActivityCounts{Flushed: c.Flushed, LagSum: c.LagSum, LagMax: c.LagMax}
		} else {
			t.Edition = s.Edition
		}
		t.add(c)
	}
	out := make([]ActivitySample, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b ActivitySample) int { return a.Minute.Compare(b.Minute) })
	return out
}

// Observers tells each of its observers what the flusher does.
type Observers []FlushObserver

// Flushed implements FlushObserver.
func (o Observers) Flushed(size, inserted int, lags []time.Duration) {
	for _, x := range o {
		x.Flushed(size, inserted, lags)
	}
}

// FlushError implements FlushObserver.
func (o Observers) FlushError(step string, err error) {
	for _, x := range o {
		x.FlushError(step, err)
	}
}

// ActivityWindow returns the minutes series of n minutes ending with the
// minute of end, one sample per minute (zero where samples have none),
// from samples added up by minute (ActivityTotal).
func ActivityWindow(samples []ActivitySample, end time.Time, n int) []ActivitySample {
	last := end.Unix() / 60
	out := make([]ActivitySample, n)
	for i := range out {
		out[i].Minute = time.Unix((last-int64(n-1-i))*60, 0).UTC()
	}
	for _, s := range samples {
		if i := n - 1 - int(last-s.Minute.Unix()/60); i >= 0 && i < n {
			out[i].Edition = s.Edition
			out[i].ActivityCounts = s.ActivityCounts
		}
	}
	return out
}
