package chaos

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsisvote/prizes/loadtest"
)

// Load is the steady stream of votes a fault is injected under. Unlike the
// benchmark's runs, it keeps every vote and each answer it got, and it
// retries as a careful client would: a vote that got no answer or a 503 is
// sent again, the same bytes, until it gets another answer or RetryFor has
// passed.
type Load struct {
	// Addr is the API's host:port.
	Addr string
	// Votes builds the request of a ballot; Ballots hands the ballots out,
	// each once over every run.
	Votes   *loadtest.Votes
	Ballots *loadtest.Ballots
	// Rate is the votes started per second: vote i is due at start + i/Rate
	// whatever happened to earlier ones, and Workers bound how many are in
	// flight, retries included.
	Rate    float64
	Workers int
	// Timeout bounds each attempt.
	Timeout time.Duration
	// RetryFor bounds how long after its first attempt a vote is sent
	// again.
	RetryFor time.Duration
	// MaxVotes bounds the votes of one run.
	MaxVotes int64
}

// Run casts votes until stop is closed, MaxVotes were cast, the ballots run
// out or ctx ends, waits for the votes under way to get their final answer,
// and returns every vote cast. exhausted reports that the ballots ran out.
func (l *Load) Run(ctx context.Context, stop <-chan struct{}) (votes []Vote, exhausted bool) {
	start := time.Now()
	interval := time.Duration(float64(time.Second) / l.Rate)
	var seq atomic.Int64
	var out atomic.Bool
	results := make([][]Vote, l.Workers)
	var wg sync.WaitGroup
	for w := range l.Workers {
		wg.Go(func() {
			c := loadtest.NewConn(l.Addr, nil, l.Timeout)
			defer c.Close()
			buf := make([]byte, 0, 1024)
			for {
				i := seq.Add(1) - 1
				if i >= l.MaxVotes {
					return
				}
				if !wait(ctx, stop, time.Until(start.Add(time.Duration(i)*interval))) {
					return
				}
				b, ok := l.Ballots.Next()
				if !ok {
					out.Store(true)
					return
				}
				buf = l.Votes.Append(buf[:0], b)
				v := Vote{VoterID: b.Voter.ID, Category: b.Category, ProjectID: b.ProjectID}
				v.Answers = l.cast(ctx, c, buf)
				results[w] = append(results[w], v)
			}
		})
	}
	wg.Wait()
	for _, r := range results {
		votes = append(votes, r...)
	}
	return votes, out.Load()
}

// cast sends req until an answer that needs no retry comes, RetryFor has
// passed or ctx ends, and returns every answer.
func (l *Load) cast(ctx context.Context, c *loadtest.Conn, req []byte) []Answer {
	first := time.Now()
	var answers []Answer
	for try := 0; ; try++ {
		resp, err := c.Do(ctx, req)
		a := answer(resp, err)
		answers = append(answers, a)
		if !a.Retry() || time.Since(first) >= l.RetryFor || !wait(ctx, nil, backoff(try)) {
			return answers
		}
	}
}

// answer reads what an attempt got.
func answer(resp loadtest.Response, err error) Answer {
	if err != nil {
		return Answer{Err: err.Error()}
	}
	a := Answer{Status: resp.Status}
	if resp.Status/100 == 2 {
		a.VoteID = resp.Field("vote_id")
	} else {
		a.Code = resp.Field("code")
	}
	return a
}

// backoff is the pause before retry number try+1: 50 ms, doubling up to a
// second.
func backoff(try int) time.Duration {
	return min(50*time.Millisecond<<min(try, 5), time.Second)
}

// wait waits for d, and reports whether it passed before ctx ended or stop
// was closed; a nil stop never closes.
func wait(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	select {
	case <-stop:
		return false
	case <-ctx.Done():
		return false
	default:
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop:
		return false
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
