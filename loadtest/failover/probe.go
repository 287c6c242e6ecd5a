package failover

import (
	"context"
	"net/http"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/chaos"
)

// probe casts one vote every so often on the killed master's shards, each
// once and without retry, and notes when each was sent and what it got:
// the load spreads over every shard and retries, so it cannot tell when
// the failed shards answered again.
type probe struct {
	addr    string
	votes   *loadtest.Votes
	ballots *loadtest.Ballots
	every   time.Duration
}

// probeVote is one vote of the probe: the vote with its one answer, and
// when it was sent.
type probeVote struct {
	chaos.Vote
	Sent time.Time
}

// run casts votes until stop is closed, the ballots run out or ctx ends.
func (p *probe) run(ctx context.Context, stop <-chan struct{}) []probeVote {
	c := loadtest.NewConn(p.addr, nil, 5*time.Second)
	defer c.Close()
	var out []probeVote
	buf := make([]byte, 0, 1024)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return out
		case <-ctx.Done():
			return out
		case <-t.C:
		}
		b, ok := p.ballots.Next()
		if !ok {
			return out
		}
		buf = p.votes.Append(buf[:0], b)
		v := probeVote{Vote: chaos.Vote{VoterID: b.Voter.ID, Category: b.Category, ProjectID: b.ProjectID}, Sent: time.Now()}
		resp, err := c.Do(ctx, buf)
		a := chaos.Answer{Status: resp.Status}
		switch {
		case err != nil:
			a = chaos.Answer{Err: err.Error()}
		case resp.Status/100 == 2:
			a.VoteID = resp.Field("vote_id")
		default:
			a.Code = resp.Field("code")
		}
		v.Answers = []chaos.Answer{a}
		out = append(out, v)
	}
}

// Probe sums up what the probe saw around the failover.
type Probe struct {
	// Sent counts the probe's votes; Accepted those answered 2xx, Failed
	// the others, which are 503s or no answer.
	Sent, Accepted, Failed int64
	// FailedAfterKill counts the failures from the kill on.
	FailedAfterKill int64
	// Outage is from the kill to the first 2xx after the last failed
	// probe vote: how long the killed master's shards could not take a
	// vote. Zero when no probe vote failed after the kill; Recovered is
	// false when none succeeded after the last failure.
	Outage    time.Duration
	Recovered bool
	// FirstFailure and LastFailure are the failed probe votes' sending
	// times, from the kill.
	FirstFailure, LastFailure time.Duration
}

// summarize reads the probe's votes against the kill's time.
func summarize(votes []probeVote, killed time.Time) Probe {
	var p Probe
	last := -1
	for i, v := range votes {
		p.Sent++
		a := v.Answers[0]
		if a.Status == http.StatusAccepted || a.Status == http.StatusOK {
			p.Accepted++
			continue
		}
		p.Failed++
		if v.Sent.Before(killed) {
			continue
		}
		if p.FailedAfterKill == 0 {
			p.FirstFailure = v.Sent.Sub(killed)
		}
		p.FailedAfterKill++
		p.LastFailure = v.Sent.Sub(killed)
		last = i
	}
	if last < 0 {
		p.Recovered = true
		return p
	}
	for _, v := range votes[last+1:] {
		if s := v.Answers[0].Status; s == http.StatusAccepted || s == http.StatusOK {
			p.Outage, p.Recovered = v.Sent.Sub(killed), true
			break
		}
	}
	return p
}
