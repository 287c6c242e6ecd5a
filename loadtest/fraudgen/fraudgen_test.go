package fraudgen_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/loadtest/fraudgen"
	"github.com/wsisvote/prizes/prizes"
)

// generated is a month of traffic as written, and read back.
type generated struct {
	cfg        fraudgen.Config
	summary    fraudgen.Summary
	votes      []byte
	labels     []byte
	voteLines  []antifraud.Vote
	labelLines []antifraud.Label
}

// small is the small preset's traffic, generated once for all tests.
var small = sync.OnceValues(func() (*generated, error) {
	g, err := generate(fraudgen.Small())
	if err != nil {
		return nil, err
	}
	if g.voteLines, err = parseLines[antifraud.Vote](g.votes); err != nil {
		return nil, err
	}
	if g.labelLines, err = parseLines[antifraud.Label](g.labels); err != nil {
		return nil, err
	}
	return g, nil
})

func generate(c fraudgen.Config) (*generated, error) {
	t, err := fraudgen.Generate(c)
	if err != nil {
		return nil, err
	}
	g := &generated{cfg: c, summary: t.Summary()}
	var v, l bytes.Buffer
	if err := t.WriteVotes(&v); err != nil {
		return nil, err
	}
	if err := t.WriteLabels(&l); err != nil {
		return nil, err
	}
	g.votes, g.labels = v.Bytes(), l.Bytes()
	return g, nil
}

func smallTraffic(tb testing.TB) *generated {
	tb.Helper()
	g, err := small()
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func lines(b []byte) [][]byte {
	return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

// parseLines decodes every line strictly: a field the type does not have
// is an error.
func parseLines[T any](b []byte) ([]T, error) {
	var out []T
	for i, line := range lines(b) {
		var v T
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w: %s", i+1, err, line)
		}
		out = append(out, v)
	}
	return out, nil
}

func TestGenerate_deterministic(t *testing.T) {
	a := smallTraffic(t)
	b, err := generate(fraudgen.Small())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.votes, b.votes) || !bytes.Equal(a.labels, b.labels) {
		t.Fatal("the same configuration gave different bytes")
	}
	c := fraudgen.Scaled(5_000)
	one, err := generate(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Seed++
	other, err := generate(c)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(one.votes, other.votes) {
		t.Fatal("another seed gave the same votes")
	}
}

func TestTraffic_WriteVotes(t *testing.T) {
	g := smallTraffic(t)
	votes := g.voteLines
	if n := len(votes); n < 35_000 || n > 45_000 {
		t.Fatalf("%d votes; the small preset makes about 40,000", n)
	}
	_, cats, projects := prizes.DemoEdition(g.cfg.Edition, g.cfg.Nominees)
	category := map[string]string{}
	for _, p := range projects {
		category[p.ID] = p.Category
	}
	open, end := g.cfg.Start, g.cfg.Start.AddDate(0, 0, g.cfg.Days)
	type slot struct {
		voter    int64
		category string
	}
	slots := map[slot]bool{}
	ids := map[string]bool{}
	accounts := map[int64]antifraud.Vote{}
	written := lines(g.votes)
	for i, v := range votes {
		if enc, _ := json.Marshal(v); !bytes.Equal(enc, written[i]) {
			t.Fatalf("line %d is not written as encoding/json writes it:\n%s\n%s", i+1, written[i], enc)
		}
		if u, err := uuid.Parse(v.VoteID); err != nil || u.Version() != 7 || ids[v.VoteID] {
			t.Fatalf("vote %d: id %q is not a new version 7 UUID", i+1, v.VoteID)
		}
		ids[v.VoteID] = true
		if category[v.ProjectID] != v.Category {
			t.Fatalf("vote %s: project %s is not a nominee of %s", v.VoteID, v.ProjectID, v.Category)
		}
		if i > 0 && v.CastAt.Before(votes[i-1].CastAt) {
			t.Fatalf("vote %d is cast before the one above it", i+1)
		}
		if v.CastAt.Before(open) || !v.CastAt.Before(end) || v.CastAt.Location() != time.UTC {
			t.Fatalf("vote %s cast at %v, outside the voting month or not in UTC", v.VoteID, v.CastAt)
		}
		if v.AccountCreatedAt.After(v.CastAt) {
			t.Fatalf("vote %s cast at %v by an account created at %v", v.VoteID, v.CastAt, v.AccountCreatedAt)
		}
		s := slot{v.VoterID, v.Category}
		if slots[s] {
			t.Fatalf("voter %d votes twice in %s", v.VoterID, v.Category)
		}
		slots[s] = true
		if a, ok := accounts[v.VoterID]; ok && (a.EmailDomain != v.EmailDomain || !a.AccountCreatedAt.Equal(v.AccountCreatedAt)) {
			t.Fatalf("voter %d has two accounts' facts: %s %v and %s %v", v.VoterID, a.EmailDomain, a.AccountCreatedAt, v.EmailDomain, v.AccountCreatedAt)
		}
		accounts[v.VoterID] = v
		checkNetwork(t, v)
		// An erased account's votes have no domain.
		if v.UserAgent == "" || strings.ContainsAny(v.EmailDomain, "@ ") || v.EmailDomain != "" && !strings.Contains(v.EmailDomain, ".") {
			t.Fatalf("vote %s: user agent %q, email domain %q", v.VoteID, v.UserAgent, v.EmailDomain)
		}
		if h, err := base64.RawURLEncoding.DecodeString(v.DeviceHint); v.DeviceHint != "" && (err != nil || len(h) != 16) {
			t.Fatalf("vote %s: device hint %q", v.VoteID, v.DeviceHint)
		}
	}
	if len(slots) < len(votes) {
		t.Fatal("unreachable: a slot counted twice")
	}
	seen := map[string]bool{}
	for _, v := range votes {
		seen[v.Category] = true
	}
	if len(seen) != len(cats) {
		t.Fatalf("votes in %d categories; want all %d", len(seen), len(cats))
	}
}

// checkNetwork fails unless the vote's network is written as the ledger
// writes it: an IPv4 /24 as a.b.c.0/24 or an IPv6 /48, masked, canonical,
// public.
func checkNetwork(t *testing.T, v antifraud.Vote) {
	t.Helper()
	p, err := netip.ParsePrefix(v.Network)
	if err != nil || p.Masked() != p || p.String() != v.Network {
		t.Fatalf("vote %s: network %q is not a masked prefix in canonical form", v.VoteID, v.Network)
	}
	a := p.Addr()
	switch {
	case a.Is4() && p.Bits() == 24:
	case a.Is6() && !a.Is4In6() && p.Bits() == 48:
	default:
		t.Fatalf("vote %s: network %q is neither an IPv4 /24 nor an IPv6 /48", v.VoteID, v.Network)
	}
	if a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
		t.Fatalf("vote %s: network %q is not public", v.VoteID, v.Network)
	}
}

func TestTraffic_WriteLabels(t *testing.T) {
	g := smallTraffic(t)
	votes, labels := g.voteLines, g.labelLines
	if len(labels) != len(votes) {
		t.Fatalf("%d labels for %d votes", len(labels), len(votes))
	}
	want := map[string]bool{
		fraudgen.LabelOrganic: true, fraudgen.LabelCampaign: true, fraudgen.LabelMobile: true, fraudgen.LabelCampus: true,
		fraudgen.LabelCompany: true, fraudgen.LabelFamily: true, fraudgen.LabelTerminal: true, fraudgen.LabelSlate: true,
	}
	for _, a := range g.cfg.Attacks {
		want[a.Kind] = false
	}
	got := map[string]int{}
	voterLabel := map[int64]string{}
	for i, l := range labels {
		if l.VoteID != votes[i].VoteID {
			t.Fatalf("label %d is for vote %s; want %s, the vote on the same line", i+1, l.VoteID, votes[i].VoteID)
		}
		honest, known := want[l.Label]
		if !known || honest != l.Honest {
			t.Fatalf("vote %s: label %q honest %v is not one the configuration makes", l.VoteID, l.Label, l.Honest)
		}
		if prev, ok := voterLabel[votes[i].VoterID]; ok && prev != l.Label {
			t.Fatalf("voter %d has votes labelled %s and %s", votes[i].VoterID, prev, l.Label)
		}
		voterLabel[votes[i].VoterID] = l.Label
		got[l.Label]++
	}
	for l := range want {
		if got[l] == 0 {
			t.Errorf("no vote labelled %s", l)
		}
		if fraudgen.Describe(l) == "" {
			t.Errorf("label %s has no description", l)
		}
	}
	for _, s := range g.summary.Labels {
		if got[s.Label] != s.Votes {
			t.Errorf("%s: summary says %d votes, labels file %d", s.Label, s.Votes, got[s.Label])
		}
	}
}

func TestGenerate_attacksMatter(t *testing.T) {
	g := smallTraffic(t)
	if len(g.summary.Attacks) != len(fraudgen.Kinds()) {
		t.Fatalf("%d attacks; the default has one of each of %d kinds", len(g.summary.Attacks), len(fraudgen.Kinds()))
	}
	md := g.summary.Markdown()
	for _, a := range g.summary.Attacks {
		if !strings.Contains(md, "| `"+a.Label+"` | "+a.Targets[0].Category) {
			t.Errorf("the summary's Markdown lacks %s's first target", a.Label)
		}
		if len(a.Changes) == 0 {
			t.Errorf("%s changes no category's top five", a.Label)
		}
		for _, tg := range a.Targets {
			if tg.Rank <= 5 || tg.Honest+tg.Added <= tg.Fifth {
				t.Errorf("%s: target %s ranked %d gets %d+%d votes, not enough to pass the fifth's %d", a.Label, tg.Project, tg.Rank, tg.Honest, tg.Added, tg.Fifth)
			}
		}
	}
}

// TestGenerate_crowds checks that each honest crowd and attack has the
// shape its description claims.
func TestGenerate_crowds(t *testing.T) {
	g := smallTraffic(t)
	votes, labels := g.voteLines, g.labelLines
	by := map[string][]antifraud.Vote{}
	for i, v := range votes {
		by[labels[i].Label] = append(by[labels[i].Label], v)
	}
	blocklist, err := identity.NewBlocklist()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		label string
		check func([]antifraud.Vote) string
	}{
		{fraudgen.LabelFamily, func(vs []antifraud.Vote) string {
			if n := maxAccountsPer(vs, func(v antifraud.Vote) string { return v.DeviceHint }); n < 2 || n > 5 {
				return "a device hint is shared by " + itoa(n) + " accounts; want 2 to 5"
			}
			return ""
		}},
		{fraudgen.LabelMobile, func(vs []antifraud.Vote) string {
			if n := maxAccountsPer(vs, func(v antifraud.Vote) string { return v.Network }); n < 20 {
				return "at most " + itoa(n) + " accounts behind one network; want a carrier's NAT"
			}
			return ""
		}},
		{fraudgen.LabelTerminal, func(vs []antifraud.Vote) string {
			if n := maxAccountsPer(vs, func(v antifraud.Vote) string { return v.DeviceHint }); n < 6 {
				return "at most " + itoa(n) + " accounts on one device"
			}
			return ""
		}},
		{fraudgen.LabelCampus, func(vs []antifraud.Vote) string {
			// Two campuses of two to four /24s each, and some students on
			// mobile data.
			per := map[string]int{}
			for _, v := range vs {
				per[v.Network]++
			}
			counts := slices.Sorted(maps.Values(per))
			slices.Reverse(counts)
			top := 0
			for _, n := range counts[:min(8, len(counts))] {
				top += n
			}
			if top < len(vs)*3/4 {
				return itoa(top) + " of " + itoa(len(vs)) + " votes from the eight busiest networks; want most from the campuses'"
			}
			return ""
		}},
		{fraudgen.KindBotFarm, func(vs []antifraud.Vote) string {
			if n := distinct(vs, func(v antifraud.Vote) string { return v.Network }); n != 1 {
				return itoa(n) + " networks; want one"
			}
			return ""
		}},
		{fraudgen.KindProxyFarm, func(vs []antifraud.Vote) string {
			if n, m := distinct(vs, func(v antifraud.Vote) string { return v.Network }), accounts(vs); n < m*9/10 {
				return itoa(n) + " networks for " + itoa(m) + " accounts; want one each"
			}
			return ""
		}},
		{fraudgen.KindDisposableWave, func(vs []antifraud.Vote) string {
			listed, fresh := 0, 0
			for _, v := range vs {
				if blocklist.Blocked(v.EmailDomain) {
					listed++
				} else {
					fresh++
				}
			}
			if listed == 0 || fresh < listed {
				return "want mostly domains no list knows and some on the project's list"
			}
			return ""
		}},
		{fraudgen.KindAgedRing, func(vs []antifraud.Vote) string {
			for _, v := range vs {
				if g.cfg.Start.Sub(v.AccountCreatedAt) < 300*24*time.Hour {
					return "an account created " + v.AccountCreatedAt.String() + "; want them aged"
				}
			}
			return ""
		}},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			if msg := c.check(by[c.label]); msg != "" {
				t.Error(msg)
			}
		})
	}
	t.Run("honest domains are not on the blocklist", func(t *testing.T) {
		for i, v := range votes {
			if labels[i].Honest && blocklist.Blocked(v.EmailDomain) {
				t.Fatalf("honest vote %s from %s, which sign-in refuses", v.VoteID, v.EmailDomain)
			}
		}
	})
}

func maxAccountsPer(vs []antifraud.Vote, key func(antifraud.Vote) string) int {
	sets := map[string]map[int64]bool{}
	for _, v := range vs {
		k := key(v)
		if k == "" {
			continue
		}
		if sets[k] == nil {
			sets[k] = map[int64]bool{}
		}
		sets[k][v.VoterID] = true
	}
	n := 0
	for _, s := range sets {
		n = max(n, len(s))
	}
	return n
}

func distinct(vs []antifraud.Vote, key func(antifraud.Vote) string) int {
	seen := map[string]bool{}
	for _, v := range vs {
		seen[key(v)] = true
	}
	return len(seen)
}

func accounts(vs []antifraud.Vote) int {
	seen := map[int64]bool{}
	for _, v := range vs {
		seen[v.VoterID] = true
	}
	return len(seen)
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestConfig_Validate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*fraudgen.Config)
		want   string
	}{
		{"unknown kind", func(c *fraudgen.Config) { c.Attacks[0].Kind = "captcha_farm" }, `kind "captcha_farm"`},
		{"honest label", func(c *fraudgen.Config) { c.Attacks[0].Label = "honest_bots" }, "honest crowds"},
		{"label twice", func(c *fraudgen.Config) { c.Attacks[1].Label = c.Attacks[0].Kind }, "used twice"},
		{"rank inside the top five", func(c *fraudgen.Config) { c.Attacks[0].MinRank, c.Attacks[0].MaxRank = 3, 8 }, "ranks 3..8"},
		{"after the close", func(c *fraudgen.Config) { c.Attacks[0].Day = 29 }, "within the 30 days"},
		{"too few nominees", func(c *fraudgen.Config) { c.Nominees = 5 }, "nominees is 5"},
		{"no votes", func(c *fraudgen.Config) { c.HonestVotes = 0 }, "honest votes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := fraudgen.Small()
			c.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want one containing %q", err, c.want)
			}
			if _, err := fraudgen.Generate(cfg); err == nil {
				t.Fatal("Generate accepted the configuration")
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		cfg := fraudgen.Default()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		kinds := []string{}
		for _, a := range cfg.Attacks {
			kinds = append(kinds, a.Label)
			if a.Days == 0 || a.MaxRank == 0 {
				t.Errorf("%s: defaults not filled in: %+v", a.Label, a)
			}
		}
		if !slices.Equal(kinds, fraudgen.Kinds()) {
			t.Errorf("default attacks %v; want one of each kind %v", kinds, fraudgen.Kinds())
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		t, err := fraudgen.Generate(fraudgen.Default())
		if err != nil {
			b.Fatal(err)
		}
		if err := t.WriteVotes(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
