package fraudlive_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/loadtest/fraudlive"
)

func TestAddrIn(t *testing.T) {
	for _, tt := range []struct {
		prefix string
		x, y   uint64
	}{
		{"203.0.113.0/24", 0, 0},
		{"203.0.113.0/24", 253, 0},
		{"203.0.113.0/24", 254, 0},
		{"203.0.113.0/24", ^uint64(0), ^uint64(0)},
		{"10.1.0.0/16", 0xfeedface, 0},
		{"198.51.100.7/32", 12345, 0},
		{"2001:db8:1234::/48", 0, 0},
		{"2001:db8:1234::/48", ^uint64(0), ^uint64(0)},
		{"2001:db8:1234:5678::/64", 42, 7},
	} {
		p := netip.MustParsePrefix(tt.prefix)
		a := fraudlive.AddrIn(p, tt.x, tt.y)
		if !p.Masked().Contains(a) {
			t.Errorf("AddrIn(%s, %#x, %#x) = %s, outside the prefix", tt.prefix, tt.x, tt.y, a)
		}
		if a.Is4() != p.Addr().Is4() {
			t.Errorf("AddrIn(%s) = %s, another family", tt.prefix, a)
		}
		if p.Addr().Is4() && p.Bits() <= 30 {
			if a == p.Masked().Addr() {
				t.Errorf("AddrIn(%s, %#x) = %s, the network's own address", tt.prefix, tt.x, a)
			}
			if last := lastAddr(p); a == last {
				t.Errorf("AddrIn(%s, %#x) = %s, the broadcast address", tt.prefix, tt.x, a)
			}
		}
	}
	// Drawn over many values, a /24's hosts are all reachable and only
	// them.
	p := netip.MustParsePrefix("192.0.2.0/24")
	seen := map[netip.Addr]bool{}
	for x := uint64(0); x < 2000; x++ {
		seen[fraudlive.AddrIn(p, x*0x9e3779b97f4a7c15, 0)] = true
	}
	if len(seen) != 254 {
		t.Errorf("%d distinct hosts of a /24 drawn, want 254", len(seen))
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := 32 - p.Bits()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= 1<<host - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func TestAddresses_Of(t *testing.T) {
	a := fraudlive.NewAddresses()
	first, ok := a.Of(7, "203.0.113.0/24")
	if !ok {
		t.Fatal("no address for a /24")
	}
	if again, _ := a.Of(7, "203.0.113.0/24"); again != first {
		t.Errorf("voter 7 drew %s, then %s, in one network", first, again)
	}
	other := map[netip.Addr]bool{}
	for v := int64(1); v <= 50; v++ {
		addr, _ := a.Of(v, "203.0.113.0/24")
		other[addr] = true
	}
	if len(other) < 20 {
		t.Errorf("50 voters of one /24 share %d addresses; voters behind one network should mostly differ", len(other))
	}
	if v6, ok := a.Of(7, "2001:db8:1234::/48"); !ok || !netip.MustParsePrefix("2001:db8:1234::/48").Contains(v6) {
		t.Errorf("IPv6 /48: %s, %v", v6, ok)
	}
	for _, bad := range []string{"", "203.0.113.0", "not a network"} {
		if addr, ok := a.Of(7, bad); ok {
			t.Errorf("Of(%q) = %s, want none", bad, addr)
		}
	}
}

func TestClock(t *testing.T) {
	month := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c, err := fraudlive.NewClock(month, 30*24*time.Hour, start, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Real(month); !got.Equal(start) {
		t.Errorf("the opening plays at %s, want %s", got, start)
	}
	if got := c.Real(month.Add(15 * 24 * time.Hour)); !got.Equal(start.Add(150 * time.Second)) {
		t.Errorf("mid-month plays at %s, want %s", got, start.Add(150*time.Second))
	}
	if got := c.Scaled(10 * time.Minute); got != 60*24*time.Hour {
		t.Errorf("ten real minutes span %s of the month, want 1440h", got)
	}
	if _, err := fraudlive.NewClock(month, 0, start, time.Minute); err == nil {
		t.Error("a clock of no generated length")
	}
}

func TestAccounts(t *testing.T) {
	month := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c, _ := fraudlive.NewClock(month, 30*24*time.Hour, start, 30*time.Minute)
	day := 24 * time.Hour
	votes := []antifraud.Vote{
		// Voter 1 signs up ten minutes before voting, on day 2, and
		// votes again on day 3.
		{VoterID: 1, CastAt: month.Add(2 * day), AccountCreatedAt: month.Add(2*day - 10*time.Minute), EmailDomain: "gmail.com"},
		// Voter 2's account is two years old.
		{VoterID: 2, CastAt: month.Add(4 * day), AccountCreatedAt: month.Add(-730 * day), EmailDomain: "un.org"},
		{VoterID: 1, CastAt: month.Add(3 * day), AccountCreatedAt: month.Add(2*day - 10*time.Minute), EmailDomain: "gmail.com"},
	}
	accts := fraudlive.Accounts(votes, c)
	if len(accts) != 2 || accts[0].Key != "1" || accts[1].Key != "2" {
		t.Fatalf("accounts %+v", accts)
	}
	for i, want := range []struct {
		first time.Time
		age   time.Duration
	}{{month.Add(2 * day), 10 * time.Minute}, {month.Add(4 * day), 734 * day}} {
		a := accts[i]
		if got := c.Real(want.first).Sub(a.CreatedAt); got != want.age {
			t.Errorf("account %s is %s old at its first vote as played, want %s as generated", a.Key, got, want.age)
		}
	}
	if !accts[0].SignedInAt.Equal(accts[0].CreatedAt) {
		t.Errorf("an account made minutes before its vote signed in at %s, not at its sign-up %s", accts[0].SignedInAt, accts[0].CreatedAt)
	}
	if !accts[1].SignedInAt.IsZero() {
		t.Errorf("an old account claims a sign-in at %s", accts[1].SignedInAt)
	}
	if accts[1].EmailDomain != "un.org" {
		t.Errorf("domain %q", accts[1].EmailDomain)
	}
}

func TestClock_Restore(t *testing.T) {
	month := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c, _ := fraudlive.NewClock(month, 30*24*time.Hour, start, 30*time.Minute)
	day := 24 * time.Hour
	gen := []antifraud.Vote{
		{VoteID: "a", VoterID: 1, CastAt: month.Add(2 * day), AccountCreatedAt: month.Add(2*day - 10*time.Minute)},
		{VoteID: "b", VoterID: 2, CastAt: month.Add(4 * day), AccountCreatedAt: month.Add(-730 * day)},
		{VoteID: "c", VoterID: 1, CastAt: month.Add(3 * day), AccountCreatedAt: month.Add(2*day - 10*time.Minute)},
	}
	// The ledger as the play records it: cast on the play's clock, each
	// account created as Accounts sets it.
	created := map[string]time.Time{}
	for _, a := range fraudlive.Accounts(gen, c) {
		created[a.Key] = a.CreatedAt
	}
	ledger := make([]antifraud.Vote, len(gen))
	for i, v := range gen {
		v.CastAt = c.Real(v.CastAt)
		v.AccountCreatedAt = created[map[int64]string{1: "1", 2: "2"}[v.VoterID]]
		ledger[i] = v
	}
	got := c.Restore(ledger)
	for i, v := range got {
		if d := v.CastAt.Sub(gen[i].CastAt).Abs(); d > time.Second {
			t.Errorf("vote %s restored to %s, generated at %s", v.VoteID, v.CastAt, gen[i].CastAt)
		}
		if d := v.AccountCreatedAt.Sub(gen[i].AccountCreatedAt).Abs(); d > time.Second {
			t.Errorf("vote %s: account restored as created at %s, generated %s", v.VoteID, v.AccountCreatedAt, gen[i].AccountCreatedAt)
		}
	}
}
