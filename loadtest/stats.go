package loadtest

import (
	"bytes"
	"maps"
	"net/http"
	"slices"
	"sort"
	"sync/atomic"
	"time"
)

// Stats is what one worker, or a whole run once merged, observed.
type Stats struct {
	// Statuses counts answers by HTTP status.
	Statuses map[int]int64
	// Codes counts the error codes of non-2xx answers ({"error":{"code":...}}),
	// "" for an answer without one.
	Codes map[string]int64
	// TransportErrors counts requests that got no answer: refused or broken
	// connections, timeouts, malformed responses. A vote among them may or
	// may not have been recorded.
	TransportErrors int64
	// LastError is one transport error, to show what went wrong.
	LastError string
	// Accepted counts 202 answers (votes recorded by that request) by
	// workload label (the project voted for).
	Accepted map[string]int64
	// Replayed counts 200 answers: a vote sent again, answered with the
	// receipt of the one recorded before.
	Replayed int64
	// Receipts are the vote_id of every 202 answer, when kept.
	Receipts []string
	// Latency is the time to each answer: from the scheduled time in an open
	// loop, from sending in a closed one.
	Latency Histogram
	// Service is the time from sending to the answer, in an open loop.
	Service Histogram
	// Late counts open-loop requests sent more than a millisecond after their
	// scheduled time, because every worker was busy or the generator itself
	// was not scheduled in time.
	Late int64
}

// NewStats returns empty stats.
func NewStats() *Stats {
	return &Stats{Statuses: map[int]int64{}, Codes: map[string]int64{}, Accepted: map[string]int64{}}
}

// Answers returns how many requests got an HTTP answer.
func (s *Stats) Answers() int64 {
	var n int64
	for _, c := range s.Statuses {
		n += c
	}
	return n
}

// Status returns how many answers had status code.
func (s *Stats) Status(code int) int64 { return s.Statuses[code] }

// Merge adds o to s.
func (s *Stats) Merge(o *Stats) {
	for k, v := range o.Statuses {
		s.Statuses[k] += v
	}
	for k, v := range o.Codes {
		s.Codes[k] += v
	}
	for k, v := range o.Accepted {
		s.Accepted[k] += v
	}
	s.Replayed += o.Replayed
	s.TransportErrors += o.TransportErrors
	if o.LastError != "" {
		s.LastError = o.LastError
	}
	s.Receipts = append(s.Receipts, o.Receipts...)
	s.Latency.Merge(&o.Latency)
	s.Service.Merge(&o.Service)
	s.Late += o.Late
}

// Clone returns a deep copy of s.
func (s *Stats) Clone() *Stats {
	c := *s
	c.Statuses = maps.Clone(s.Statuses)
	c.Codes = maps.Clone(s.Codes)
	c.Accepted = maps.Clone(s.Accepted)
	c.Receipts = append([]string(nil), s.Receipts...)
	return &c
}

// record counts one answer.
func (s *Stats) record(resp Response, label string, keepReceipts bool) {
	s.Statuses[resp.Status]++
	if resp.Status == http.StatusOK {
		s.Replayed++
		return
	}
	if resp.Status/100 == 2 {
		s.Accepted[label]++
		if keepReceipts {
			if id := jsonString(resp.Body, `"vote_id"`); id != nil {
				s.Receipts = append(s.Receipts, string(id))
			}
		}
		return
	}
	s.Codes[string(jsonString(resp.Body, `"code"`))]++
}

// jsonString returns the string value following key in a flat JSON body,
// without decoding the whole body: the answers are small and known, and
// this runs once per request on a busy machine. It returns nil when key is
// absent or its value is not a plain string.
func jsonString(body []byte, key string) []byte {
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return nil
	}
	rest := bytes.TrimLeft(body[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return nil
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return nil
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 || bytes.IndexByte(rest[1:1+end], '\\') >= 0 {
		return nil
	}
	return rest[1 : 1+end]
}

// Live are counters a run updates as it goes, for progress reports while it
// runs. The final figures come from Stats.
type Live struct {
	Done   atomic.Int64
	Failed atomic.Int64
}

// SortedStatuses returns the statuses of s in increasing order.
func (s *Stats) SortedStatuses() []int {
	out := make([]int, 0, len(s.Statuses))
	for k := range s.Statuses {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// Result is the outcome of one run.
type Result struct {
	Stats
	// Elapsed is from the start of the run to the last answer.
	Elapsed time.Duration
	// Exhausted is true when the workload ran out before the run's end.
	Exhausted bool
}

// Rate returns answered requests per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Answers()) / r.Elapsed.Seconds()
}

// AcceptedRate returns 202 answers per second.
func (r *Result) AcceptedRate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.AcceptedTotal()) / r.Elapsed.Seconds()
}

// AcceptedTotal returns the number of 202 answers.
func (s *Stats) AcceptedTotal() int64 {
	var n int64
	for _, c := range s.Accepted {
		n += c
	}
	return n
}

// Median returns the middle of xs, the mean of the two middle values when
// their number is even, and 0 for none. Reports summarise repeated runs by
// their median so that one run disturbed by the machine does not move the
// figure.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
