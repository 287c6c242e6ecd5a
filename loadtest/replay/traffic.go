package replay

import (
	"bufio"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/scenario"
)

// labelSep separates an attack's label from the project in a workload
// label, so that 202s are counted per project and per label at once.
const labelSep = "|"

// Traffic is the workload of a scenario: every legitimate ballot once, each
// voter from its own client address sent as X-Forwarded-For, and the
// scenario's attacks mixed in and labelled. It is safe for concurrent use.
type Traffic struct {
	ballots *loadtest.Ballots
	s       *scenario.Scenario
	head    string
	shared  []sharedPool
	dup     *scenario.Attack
	// dupLag is how many ballots back a duplicate reaches: far enough that
	// the original was answered long before.
	dupLag int64
	seq    atomic.Int64
	// Duplicates counts the duplicate requests sent.
	Duplicates atomic.Int64
}

// sharedPool is one shared_address attack: the voters whose draw falls
// below upTo vote from its few addresses.
type sharedPool struct {
	upTo  float64
	label string
	pool  scenario.Clients
}

var _ loadtest.Workload = (*Traffic)(nil)

// NewTraffic returns the workload of s over ballots, sent to t.
func NewTraffic(t loadtest.Target, ballots *loadtest.Ballots, s *scenario.Scenario) *Traffic {
	host := t.Host
	if host == "" {
		host = t.Addr
	}
	w := &Traffic{ballots: ballots, s: s,
		head: "POST /api/v1/editions/" + url.PathEscape(t.Edition) + "/votes HTTP/1.1\r\nHost: " + host +
			"\r\nUser-Agent: prizes-loadtest\r\nContent-Type: application/json\r\nX-Forwarded-For: ",
		dupLag: 2 * int64(s.Window) * int64(s.Edition.Categories),
	}
	upTo := 0.0
	for i := range s.Attacks {
		a := &s.Attacks[i]
		switch a.Kind {
		case scenario.AttackSharedAddress:
			upTo += a.Share
			w.shared = append(w.shared, sharedPool{upTo: upTo, label: a.Label, pool: a.AddressPool()})
		case scenario.AttackDuplicate:
			w.dup = a
		}
	}
	return w
}

// Next appends the next request: now and then a duplicate of an earlier
// ballot, otherwise the next legitimate ballot.
func (w *Traffic) Next(buf []byte) ([]byte, string, bool) {
	i := w.seq.Add(1) - 1
	if w.dup != nil && unit(mix(uint64(i)^0xd1b54a32d192ed03)) < w.dup.Share {
		if j := w.ballots.Used() - w.dupLag; j >= 0 {
			b := w.ballots.At(j)
			w.Duplicates.Add(1)
			return w.appendBallot(buf, b), w.dup.Label + labelSep + b.ProjectID, true
		}
	}
	b, ok := w.ballots.Next()
	if !ok {
		return buf, "", false
	}
	label := b.ProjectID
	if l := w.VoterLabel(b.Voter.ID); l != "" {
		label = l + labelSep + b.ProjectID
	}
	return w.appendBallot(buf, b), label, true
}

func (w *Traffic) appendBallot(buf []byte, b loadtest.Ballot) []byte {
	buf = append(buf, w.head...)
	buf = w.VoterAddr(b.Voter.ID).AppendTo(buf)
	return loadtest.AppendVote(buf, "\r\nAuthorization: Bearer ", b)
}

// VoterLabel returns the label of the attack voter id belongs to, "" for a
// legitimate voter.
func (w *Traffic) VoterLabel(id int64) string {
	if p := w.pool(id); p != nil {
		return p.label
	}
	return ""
}

// VoterAddr returns the client address voter id votes from.
func (w *Traffic) VoterAddr(id int64) netip.Addr {
	if p := w.pool(id); p != nil {
		return p.pool.Addr(uint64(id) % uint64(p.pool.Addresses))
	}
	return w.s.Clients.Addr(uint64(id) % uint64(w.s.Clients.Addresses))
}

func (w *Traffic) pool(id int64) *sharedPool {
	if len(w.shared) == 0 {
		return nil
	}
	u := unit(mix(uint64(id) ^ 0x8cb92ba72f3d8dd7))
	for i := range w.shared {
		if u < w.shared[i].upTo {
			return &w.shared[i]
		}
	}
	return nil
}

// WriteLabels writes voter_id<TAB>address<TAB>label for every voter, label
// "legitimate" for those in no attack: what fraud scoring can be checked
// against.
func (w *Traffic) WriteLabels(path string, voters []loadtest.Voter) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	bw := bufio.NewWriter(f)
	for _, v := range voters {
		l := w.VoterLabel(v.ID)
		if l == "" {
			l = "legitimate"
		}
		fmt.Fprintf(bw, "%d\t%s\t%s\n", v.ID, w.VoterAddr(v.ID), l)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write labels: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	return nil
}

// splitLabel returns the attack label and project of a workload label.
func splitLabel(l string) (label, project string) {
	if a, p, ok := strings.Cut(l, labelSep); ok {
		return a, p
	}
	return "", l
}

// GroundTruth returns how many votes each project must get: every
// legitimate ballot of the sequence, computed from the generator alone.
func GroundTruth(b *loadtest.Ballots) map[string]int64 {
	out := map[string]int64{}
	for i := int64(0); i < b.Len(); i++ {
		out[b.At(i).ProjectID]++
	}
	return out
}

func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// mix is the SplitMix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
