package identity

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
)

// Rate is a rate limit: Events per Per on average, with bursts of up to
// Burst at once. The zero Rate is no limit.
type Rate struct {
	Events int
	Per    time.Duration
	Burst  int
}

// Off reports whether r limits nothing.
func (r Rate) Off() bool { return r.Events <= 0 || r.Per <= 0 }

// Interval is the time one event uses up: the GCRA emission interval.
func (r Rate) Interval() time.Duration { return r.Per / time.Duration(r.Events) }

// String writes r as ParseRate reads it.
func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s:%d", r.Events, r.Per, max(r.Burst, 1))
}

// ParseRate reads "EVENTS/PERIOD:BURST" (for example "600/1m:300"; the burst
// defaults to 1) or "off". Its errors wrap kind.ErrInvalid.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	rest, burst, hasBurst := strings.Cut(s, ":")
	events, per, ok := strings.Cut(rest, "/")
	if !ok {
		return Rate{}, fmt.Errorf("parse rate %q: want EVENTS/PERIOD[:BURST] or off: %w", s, kind.ErrInvalid)
	}
	n, err := strconv.Atoi(events)
	if err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("parse rate %q: events must be a positive integer: %w", s, kind.ErrInvalid)
	}
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("parse rate %q: period must be a duration such as 1m: %w", s, kind.ErrInvalid)
	}
	b := 1
	if hasBurst {
		if b, err = strconv.Atoi(burst); err != nil || b <= 0 {
			return Rate{}, fmt.Errorf("parse rate %q: burst must be a positive integer: %w", s, kind.ErrInvalid)
		}
	}
	if d/time.Duration(n) <= 0 {
		return Rate{}, fmt.Errorf("parse rate %q: too many events for the period: %w", s, kind.ErrInvalid)
	}
	return Rate{Events: n, Per: d, Burst: b}, nil
}

// Limits are the rate limits of sign-in and voting, per client address,
// per email address and per account.
type Limits struct {
	CodePerIP      Rate // POST /auth/email-code
	CodePerEmail   Rate
	TokenPerIP     Rate // POST /auth/token and /auth/refresh
	TokenPerEmail  Rate // POST /auth/token: an address is an account
	VotePerIP      Rate // POST /editions/:edition/votes
	VotePerAccount Rate
}

// DefaultLimits are sized for a public vote: a voter needs a code or two and
// casts at most a few dozen votes, while many voters may share one address
// behind a carrier's or a campus's NAT.
func DefaultLimits() Limits {
	return Limits{
		CodePerIP:      Rate{Events: 60, Per: time.Hour, Burst: 20},
		CodePerEmail:   Rate{Events: 5, Per: time.Hour, Burst: 3},
		TokenPerIP:     Rate{Events: 300, Per: time.Hour, Burst: 60},
		TokenPerEmail:  Rate{Events: 20, Per: time.Hour, Burst: 10},
		VotePerIP:      Rate{Events: 1200, Per: time.Minute, Burst: 600},
		VotePerAccount: Rate{Events: 60, Per: time.Minute, Burst: 30},
	}
}

// Limit is one rate limit applied to one subject.
type Limit struct {
	// Name says which limit this is, such as "vote-ip"; it is what a
	// refusal reports.
	Name string
	// Key identifies the subject within the limit: an account id, a keyed
	// hash of an address. Name and Key together name the counter.
	Key  string
	Rate Rate
}

// Spend marks a one-time token as used.
type Spend struct {
	// Key is the token; empty means nothing to spend.
	Key string
	// Until is when the token expires anyway, after which its mark may go.
	Until time.Time
}

// Verdict is the outcome of Meter.Take.
type Verdict struct {
	// Refused names the first limit that refused, or is empty.
	Refused string
	// RetryAfter is how long until the refusing limit allows a request.
	RetryAfter time.Duration
	// Replayed reports that the spend key had been used already.
	Replayed bool
}

// Counter is a count of events in fixed windows.
type Counter struct {
	Name   string
	Key    string
	Window time.Duration
}

// Meter is the hot store behind the abuse controls: rate limits (GCRA, so a
// limit is one timestamp per subject), one-time tokens and windowed counts.
type Meter interface {
	// Take applies one request to every limit and, when spend.Key is set,
	// marks it used, in one round trip shared with other callers. Limits
	// are independent: one that allows counts the request even when another
	// refuses. It returns kind.ErrUnavailable when the store cannot be reached.
	Take(ctx context.Context, limits []Limit, spend Spend) (Verdict, error)
	// Count adds one to each counter's current window and returns the new
	// counts in order. It returns kind.ErrUnavailable when the store cannot be
	// reached.
	Count(ctx context.Context, counters []Counter) ([]int64, error)
}
