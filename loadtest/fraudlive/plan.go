package fraudlive

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"net/netip"
	"strconv"
	"time"

	"github.com/wsisvote/prizes/antifraud"
)

// Clock maps the generated month onto the play's real time: a generated
// instant t is sent at Play + (t - Month) / Factor.
type Clock struct {
	// Month is when the generated voting opens.
	Month time.Time `json:"month"`
	// Play is the real time the play starts.
	Play time.Time `json:"play"`
	// Factor is how many generated seconds pass in one real second.
	Factor float64 `json:"factor"`
}

// NewClock returns the clock that plays length of generated time starting
// at month in play of real time from start.
func NewClock(month time.Time, length time.Duration, start time.Time, play time.Duration) (Clock, error) {
	if length <= 0 || play <= 0 {
		return Clock{}, fmt.Errorf("clock: generated length %s and play %s must be positive", length, play)
	}
	return Clock{Month: month, Play: start, Factor: float64(length) / float64(play)}, nil
}

// Real returns when the generated instant t is played.
func (c Clock) Real(t time.Time) time.Time {
	return c.Play.Add(time.Duration(float64(t.Sub(c.Month)) / c.Factor))
}

// Generated returns the generated instant played at the real time r.
func (c Clock) Generated(r time.Time) time.Time {
	return c.Month.Add(time.Duration(float64(r.Sub(c.Play)) * c.Factor))
}

// Restore returns the ledger's votes with their times on the month's
// clock instead of the play's: each cast time mapped back by Generated,
// and each account's creation set as far before its first vote as it was
// on the play's clock, which kept the generated age. The order of votes is
// kept.
func (c Clock) Restore(votes []antifraud.Vote) []antifraud.Vote {
	first := map[int64]time.Time{}
	for _, v := range votes {
		if f, ok := first[v.VoterID]; !ok || v.CastAt.Before(f) {
			first[v.VoterID] = v.CastAt
		}
	}
	out := make([]antifraud.Vote, len(votes))
	for i, v := range votes {
		f := first[v.VoterID]
		v.AccountCreatedAt = c.Generated(f).Add(-f.Sub(v.AccountCreatedAt)).UTC()
		v.CastAt = c.Generated(v.CastAt).UTC()
		out[i] = v
	}
	return out
}

// Scaled returns how long d of real time lasts in generated time: how much
// of the month a window of the server's clock covers.
func (c Clock) Scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.Factor)
}

// Account is one generated account as the play creates it: one line of a
// facts file (prizes voters --facts).
type Account struct {
	// Key is the generated voter id in decimal.
	Key         string    `json:"key"`
	CreatedAt   time.Time `json:"created_at"`
	SignedInAt  time.Time `json:"signed_in_at,omitzero"`
	EmailDomain string    `json:"email_domain"`
}

// signUpSession is how long before its first vote an account may have been
// created for the creation to count as the sign-in that led to the vote.
const signUpSession = time.Hour

// Accounts returns the accounts of votes (generated, in casting order) with
// their facts on the play's clock, in order of first vote. The age of an
// account at its first vote is kept as generated, not compressed: the
// account is created that long before the first vote is played, so the
// ingest scorer reads the age the generator meant (later votes of the same
// account, compressed, come at most a little younger). The generator does
// not model sign-ins: an account created less than an hour before its
// first vote signed in as it signed up; an older one claims no sign-in.
func Accounts(votes []antifraud.Vote, c Clock) []Account {
	seen := map[int64]bool{}
	var out []Account
	for _, v := range votes {
		if seen[v.VoterID] {
			continue
		}
		seen[v.VoterID] = true
		age := v.CastAt.Sub(v.AccountCreatedAt)
		a := Account{Key: strconv.FormatInt(v.VoterID, 10), EmailDomain: v.EmailDomain,
			CreatedAt: c.Real(v.CastAt).Add(-age).UTC().Truncate(time.Millisecond)}
		if age >= 0 && age < signUpSession {
			a.SignedInAt = a.CreatedAt
		}
		out = append(out, a)
	}
	return out
}

// Addresses draws each vote's client address inside its network, the same
// for every vote of one account from one network, from a seed.
type Addresses struct {
	seed maphash.Seed
}

// NewAddresses returns addresses drawn from a seed of the process.
func NewAddresses() *Addresses { return &Addresses{seed: maphash.MakeSeed()} }

// Of returns the address voter votes from in network (a.b.c.0/24, an IPv6
// /48, or any prefix); false when network is not a prefix.
func (a *Addresses) Of(voter int64, network string) (netip.Addr, bool) {
	p, err := netip.ParsePrefix(network)
	if err != nil {
		return netip.Addr{}, false
	}
	var h maphash.Hash
	h.SetSeed(a.seed)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(voter))
	h.Write(b[:])
	h.WriteString(network)
	return AddrIn(p, h.Sum64(), h.Sum64()*0x9e3779b97f4a7c15+1), true
}

// AddrIn returns the address of prefix p whose host bits are drawn from x
// and y (the low 64 host bits from x, any above from y). In an IPv4 prefix
// of /30 or wider it is never the network's first or last address, which
// are no host's.
func AddrIn(p netip.Prefix, x, y uint64) netip.Addr {
	p = p.Masked()
	raw := p.Addr().As16()
	total := 128
	if p.Addr().Is4() {
		total = 32
	}
	hostBits := total - p.Bits()
	if p.Addr().Is4() && hostBits >= 2 {
		// 1 .. 2^hostBits-2
		span := uint64(1)<<hostBits - 2
		x = 1 + x%span
	}
	lo := binary.BigEndian.Uint64(raw[8:])
	hi := binary.BigEndian.Uint64(raw[:8])
	switch {
	case hostBits >= 64:
		lo = x
		if hostBits > 64 {
			hi |= y & (uint64(1)<<(hostBits-64) - 1)
		}
	case hostBits > 0:
		lo |= x & (uint64(1)<<hostBits - 1)
	}
	binary.BigEndian.PutUint64(raw[:8], hi)
	binary.BigEndian.PutUint64(raw[8:], lo)
	out := netip.AddrFrom16(raw)
	if p.Addr().Is4() {
		return out.Unmap()
	}
	return out
}
