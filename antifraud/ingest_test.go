package antifraud_test

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/internal/fake"
	"github.com/wsisvote/prizes/voting"
)

// The User-Agents of people's browsers.
const (
	chrome  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	safari  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
	// headless is what Puppeteer sends unless told otherwise.
	headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36"
)

var start = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// newClock returns a clock reading start.
func newClock() *fake.Clock { return fake.NewClock(start) }

// The editions of the test catalogue: "e" with the default thresholds,
// "strict" rejecting from 0.9, "pow" asking every vote for a challenge.
func catalogue(tb testing.TB) *voting.Catalogue {
	tb.Helper()
	strict := voting.DefaultRules()
	strict.FraudRejectAt = 0.9
	pow := voting.DefaultRules()
	pow.VoteChallenge = true
	return voting.NewCatalogue(voting.NewSnapshot([]voting.Edition{
		{ID: "e", Phase: voting.PhaseVoting, Rules: voting.DefaultRules()},
		{ID: "strict", Phase: voting.PhaseVoting, Rules: strict},
		{ID: "pow", Phase: voting.PhaseVoting, Rules: pow},
	}, nil, nil))
}

func newIngest(tb testing.TB, c *fake.Clock, o antifraud.IngestOptions) *antifraud.Ingest {
	tb.Helper()
	o.Now = c.Now
	return antifraud.NewIngest(catalogue(tb), o)
}

// vote is an honest-looking vote: an account a year old, a browser, an
// organisation's address, signed in a minute ago.
func vote(voter int64, project string) *voting.Vote {
	return &voting.Vote{
		ID: fmt.Sprintf("v%d-%s", voter, project), Edition: "e", VoterID: voter,
		ProjectID: project, Category: "C" + project[:1],
		Client: voting.Client{
			Network: "198.51.100.0/24", UserAgent: chrome, AccountAge: 365 * 24 * time.Hour,
			EmailClass: voting.EmailOrganisation, SignedInFor: time.Minute,
		},
	}
}

func with(v *voting.Vote, f func(c *voting.Client)) *voting.Vote {
	f(&v.Client)
	return v
}

func TestIngest_Score_oneSignal(t *testing.T) {
	tests := []struct {
		name    string
		client  func(c *voting.Client)
		reasons []string
	}{
		{"a person's browser", func(c *voting.Client) {}, nil},
		{"safari", func(c *voting.Client) { c.UserAgent = safari }, nil},
		{"firefox", func(c *voting.Client) { c.UserAgent = firefox }, nil},
		{"an app naming itself", func(c *voting.Client) { c.UserAgent = "WSISVote/2.1 CFNetwork/1496.0.7 Darwin/23.5.0" }, nil},
		{"a product without a version", func(c *voting.Client) { c.UserAgent = "prizes-loadtest" }, nil},
		{"a user agent cut short", func(c *voting.Client) { c.UserAgent = chrome[:40] }, nil},
		{"no user agent", func(c *voting.Client) { c.UserAgent = "" }, []string{antifraud.IngestUAMissing}},
		{"blank user agent", func(c *voting.Client) { c.UserAgent = "  " }, []string{antifraud.IngestUAMissing}},
		{"headless chrome", func(c *voting.Client) { c.UserAgent = headless }, []string{antifraud.IngestUAHeadless}},
		{"phantomjs", func(c *voting.Client) {
			c.UserAgent = "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1"
		}, []string{antifraud.IngestUAHeadless}},
		{"curl", func(c *voting.Client) { c.UserAgent = "curl/8.5.0" }, []string{antifraud.IngestUAHeadless}},
		{"python", func(c *voting.Client) { c.UserAgent = "python-requests/2.32.3" }, []string{antifraud.IngestUAHeadless}},
		{"go", func(c *voting.Client) { c.UserAgent = "Go-http-client/1.1" }, []string{antifraud.IngestUAHeadless}},
		{"bare mozilla", func(c *voting.Client) { c.UserAgent = "Mozilla/5.0" }, []string{antifraud.IngestUAMalformed}},
		{"no product", func(c *voting.Client) { c.UserAgent = "(compatible)" }, []string{antifraud.IngestUAMalformed}},
		{"empty version", func(c *voting.Client) { c.UserAgent = "Mozilla/ (X11)" }, []string{antifraud.IngestUAMalformed}},
		{"a stray parenthesis", func(c *voting.Client) { c.UserAgent = "Mozilla/5.0 X11) Gecko" }, []string{antifraud.IngestUAMalformed}},
		{"replacement character", func(c *voting.Client) { c.UserAgent = "Mozilla/5.0 (X11\uFFFD)" }, []string{antifraud.IngestUAMalformed}},
		{"account made minutes ago", func(c *voting.Client) { c.AccountAge = 5 * time.Minute }, []string{antifraud.IngestAccountNew}},
		{"account made hours ago", func(c *voting.Client) { c.AccountAge = 5 * time.Hour }, []string{antifraud.IngestAccountYoung}},
		{"account a day old", func(c *voting.Client) { c.AccountAge = 25 * time.Hour }, nil},
		{"account age unknown", func(c *voting.Client) { c.AccountAge = 0 }, nil},
		{"vote at sign-in", func(c *voting.Client) { c.SignedInFor = 900 * time.Millisecond }, []string{antifraud.IngestFastAfterSignIn}},
		{"vote a while after sign-in", func(c *voting.Client) { c.SignedInFor = 20 * time.Second }, nil},
		{"sign-in unknown", func(c *voting.Client) { c.SignedInFor = 0 }, nil},
		{"disposable mail", func(c *voting.Client) { c.EmailClass = voting.EmailDisposable }, []string{antifraud.IngestEmailDisposable}},
		{"free mail", func(c *voting.Client) { c.EmailClass = voting.EmailFree }, []string{antifraud.IngestEmailFree}},
		{"mail unknown", func(c *voting.Client) { c.EmailClass = "" }, nil},
		{"no network", func(c *voting.Client) { c.Network = "" }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := newIngest(t, newClock(), antifraud.IngestOptions{})
			v := with(vote(1, "1a"), tc.client)
			got := in.Score(context.Background(), v)
			if !slices.Equal(got.Reasons, tc.reasons) {
				t.Fatalf("reasons %q; want %q", got.Reasons, tc.reasons)
			}
			// No single signal reaches the default flag threshold.
			if got.Status != voting.StatusCounted {
				t.Fatalf("status %s; one signal alone must leave a vote counted", got.Status)
			}
			score, _ := in.Assess(with(vote(2, "1b"), tc.client))
			if (score > 0) != (len(tc.reasons) > 0) || score >= voting.DefaultFraudFlagAt {
				t.Fatalf("score %v with reasons %q", score, tc.reasons)
			}
		})
	}
}

// TestIngest_Assess_agentCache checks that a User-Agent's class is the same
// when it is remembered, for many headers sharing the cache.
func TestIngest_Assess_agentCache(t *testing.T) {
	in := newIngest(t, newClock(), antifraud.IngestOptions{})
	agent := func(i int) string {
		switch i % 4 {
		case 0:
			return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/%d.0", i)
		case 1:
			return fmt.Sprintf("Mozilla/5.0 (X11) HeadlessChrome/%d.0", i)
		case 2:
			return fmt.Sprintf("curl/%d.0", i)
		}
		return fmt.Sprintf("Mozilla/%d", i)
	}
	want := [][]string{nil, {antifraud.IngestUAHeadless}, {antifraud.IngestUAHeadless}, {antifraud.IngestUAMalformed}}
	for round := range 3 {
		for i := range 10_000 {
			v := with(vote(int64(i+1), "1a"), func(c *voting.Client) { c.UserAgent, c.Network = agent(i), "" })
			if _, got := in.Assess(v); !slices.Equal(got, want[i%4]) {
				t.Fatalf("round %d, %q: reasons %q; want %q", round, v.Client.UserAgent, got, want[i%4])
			}
		}
	}
}

// TestIngest_Assess_weights pins the weights of the signals, so a change of
// them is deliberate: each signal alone, and the way they combine.
func TestIngest_Assess_weights(t *testing.T) {
	tests := []struct {
		name   string
		client func(c *voting.Client)
		score  float64
	}{
		{"headless", func(c *voting.Client) { c.UserAgent = headless }, 0.5},
		{"missing", func(c *voting.Client) { c.UserAgent = "" }, 0.45},
		{"malformed", func(c *voting.Client) { c.UserAgent = "Mozilla/5.0" }, 0.35},
		{"disposable", func(c *voting.Client) { c.EmailClass = voting.EmailDisposable }, 0.45},
		{"free", func(c *voting.Client) { c.EmailClass = voting.EmailFree }, 0.05},
		{"new", func(c *voting.Client) { c.AccountAge = time.Minute }, 0.3},
		{"young", func(c *voting.Client) { c.AccountAge = 3 * time.Hour }, 0.15},
		{"fast", func(c *voting.Client) { c.SignedInFor = time.Second }, 0.1},
		{"headless and new", func(c *voting.Client) { c.UserAgent, c.AccountAge = headless, time.Minute }, 1 - 0.5*0.7},
		{"headless, new, disposable", func(c *voting.Client) {
			c.UserAgent, c.AccountAge, c.EmailClass = headless, time.Minute, voting.EmailDisposable
		}, 1 - 0.5*0.7*0.55},
		// A challenge solved though the edition does not ask for one
		// lowers the score.
		{"headless and new, solved", func(c *voting.Client) {
			c.UserAgent, c.AccountAge, c.ChallengeSolved = headless, time.Minute, true
		}, (1 - 0.5*0.7) * 0.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := newIngest(t, newClock(), antifraud.IngestOptions{})
			score, _ := in.Assess(with(vote(1, "1a"), tc.client))
			if math.Abs(score-tc.score) > 1e-9 {
				t.Fatalf("score %v; want %v", score, tc.score)
			}
		})
	}
	// Where the edition asks every vote for a challenge, solving it is no
	// evidence.
	in := newIngest(t, newClock(), antifraud.IngestOptions{})
	v := with(vote(1, "1a"), func(c *voting.Client) { c.UserAgent, c.AccountAge, c.ChallengeSolved = headless, time.Minute, true })
	v.Edition = "pow"
	if score, _ := in.Assess(v); math.Abs(score-(1-0.5*0.7)) > 1e-9 {
		t.Fatalf("score %v under a required challenge; want %v", score, 1-0.5*0.7)
	}
}

func TestIngest_Score_networkWindow(t *testing.T) {
	c := newClock()
	in := newIngest(t, c, antifraud.IngestOptions{})
	ctx := context.Background()
	// One account voting in every category is one account, however many
	// votes: no crowd.
	for i := range 18 {
		if r := in.Score(ctx, vote(1, fmt.Sprintf("%02d", i))).Reasons; len(r) != 0 {
			t.Fatalf("vote %d of one account: reasons %q", i, r)
		}
	}
	// Distinct accounts on one network: a crowd from about 20.
	var last voting.Verdict
	for i := range 300 {
		last = in.Score(ctx, vote(int64(100+i), "1a"))
		if i < 12 && len(last.Reasons) != 0 {
			t.Fatalf("account %d of the network: reasons %q", i+1, last.Reasons)
		}
	}
	if !slices.Contains(last.Reasons, antifraud.IngestNetworkAccounts) || last.Status != voting.StatusCounted {
		t.Fatalf("after 300 accounts: %+v", last)
	}
	score, _ := in.Assess(vote(9999, "1a"))
	if math.Abs(score-0.3) > 1e-9 {
		t.Fatalf("a saturated crowd scores %v; want the network's cap, 0.3", score)
	}
	// Another network is not touched.
	if r := in.Score(ctx, with(vote(5000, "1a"), func(c *voting.Client) { c.Network = "203.0.113.0/24" })).Reasons; len(r) != 0 {
		t.Fatalf("another network: reasons %q", r)
	}
	// The window slides: ten minutes later the crowd is forgotten.
	c.Add(11 * time.Minute)
	if r := in.Score(ctx, vote(10000, "1a")).Reasons; len(r) != 0 {
		t.Fatalf("eleven minutes later: reasons %q", r)
	}
}

func TestIngest_Score_networkVotes(t *testing.T) {
	c := newClock()
	in := newIngest(t, c, antifraud.IngestOptions{})
	// Ten accounts, many votes each (as with votes per category above 1 or
	// a retrying client): the votes count, the accounts do not.
	var reasons []string
	for i := range 400 {
		reasons = in.Score(context.Background(), vote(int64(i%10+1), fmt.Sprintf("%03d", i))).Reasons
	}
	if !slices.Equal(reasons, []string{antifraud.IngestNetworkVotes}) {
		t.Fatalf("400 votes of 10 accounts: reasons %q", reasons)
	}
}

func TestIngest_Score_deviceReuse(t *testing.T) {
	c := newClock()
	in := newIngest(t, c, antifraud.IngestOptions{})
	ctx := context.Background()
	onDevice := func(voter int64, network string) *voting.Vote {
		return with(vote(voter, "1a"), func(c *voting.Client) { c.DeviceHint, c.Network = "device-42", network })
	}
	// A household: three accounts, many votes each, on one device.
	for round := range 5 {
		for voter := int64(1); voter <= 3; voter++ {
			if r := in.Score(ctx, onDevice(voter, fmt.Sprint(round))).Reasons; len(r) != 0 {
				t.Fatalf("household account %d: reasons %q", voter, r)
			}
		}
	}
	// More accounts than that, each from its own network.
	var got voting.Verdict
	for voter := int64(4); voter <= 20; voter++ {
		got = in.Score(ctx, onDevice(voter, fmt.Sprintf("10.0.%d.0/24", voter)))
	}
	if !slices.Equal(got.Reasons, []string{antifraud.IngestDeviceReuse}) || got.Status != voting.StatusCounted {
		t.Fatalf("twenty accounts on one device: %+v", got)
	}
	if score, _ := in.Assess(onDevice(21, "10.1.0.0/24")); math.Abs(score-0.4) > 1e-9 {
		t.Fatalf("a device of many accounts scores %v; want the cap, 0.4", score)
	}
	// A day later the device is fresh again.
	c.Add(25 * time.Hour)
	if r := in.Score(ctx, onDevice(22, "10.2.0.0/24")).Reasons; len(r) != 0 {
		t.Fatalf("a day later: reasons %q", r)
	}
}

// young is a vote of an account made three hours before, from its own
// network, with a browser: what an honest first-time voter looks like.
func young(voter int64, project string) *voting.Vote {
	return with(vote(voter, project), func(c *voting.Client) {
		c.AccountAge = 3 * time.Hour
		c.Network = fmt.Sprintf("10.%d.%d.0/24", voter>>8&255, voter&255)
	})
}

func TestIngest_Score_youngBurst(t *testing.T) {
	c := newClock()
	in := newIngest(t, c, antifraud.IngestOptions{})
	ctx := context.Background()
	projects := []string{"1a", "1b", "1c", "1d", "1e", "1f", "1g", "1h", "1i", "1j"}
	voter := int64(1)
	// Hours of ordinary voting: young accounts spread over the category's
	// projects, one vote every ten seconds.
	for range 6 * 360 {
		v := young(voter, projects[voter%int64(len(projects))])
		if r := in.Score(ctx, v).Reasons; slices.Contains(r, antifraud.IngestYoungBurst) {
			t.Fatalf("ordinary voting at %v: reasons %q", c.Now(), r)
		}
		voter++
		c.Add(10 * time.Second)
	}
	// A burst of young accounts for one project: 120 in four minutes.
	var burst []string
	for range 120 {
		burst = in.Score(ctx, young(voter, "1c")).Reasons
		voter++
		c.Add(2 * time.Second)
	}
	if !slices.Contains(burst, antifraud.IngestYoungBurst) {
		t.Fatalf("a burst of young accounts for one project: reasons %q", burst)
	}
	// An old account voting for the project in the burst is not part of it.
	if r := in.Score(ctx, vote(1<<40, "1c")).Reasons; slices.Contains(r, antifraud.IngestYoungBurst) {
		t.Fatalf("an old account in the burst: reasons %q", r)
	}
	// Another project of the category is not bursting.
	if r := in.Score(ctx, young(voter, "1d")).Reasons; slices.Contains(r, antifraud.IngestYoungBurst) {
		t.Fatalf("another project: reasons %q", r)
	}
}

func TestIngest_Score_burstFollowsUsualShare(t *testing.T) {
	c := newClock()
	in := newIngest(t, c, antifraud.IngestOptions{})
	ctx := context.Background()
	// A project that always gets most of its category's young votes is not
	// bursting when it gets them fast: 70% of them, all day, then at ten
	// times the pace.
	voter := int64(1)
	cast := func(step time.Duration) []string {
		p := "1b"
		if voter%10 < 7 {
			p = "1a"
		}
		r := in.Score(ctx, young(voter, p)).Reasons
		voter++
		c.Add(step)
		return r
	}
	for range 2000 {
		cast(20 * time.Second)
	}
	for range 400 {
		if r := cast(time.Second); slices.Contains(r, antifraud.IngestYoungBurst) {
			t.Fatalf("the usual leader, faster: reasons %q", r)
		}
	}
}

// crowd casts n accounts' votes from one network over about ten minutes,
// each account voting in every category it is given, and returns their
// verdicts.
func crowd(in *antifraud.Ingest, c *fake.Clock, votes []*voting.Vote) []voting.Verdict {
	out := make([]voting.Verdict, len(votes))
	step := 10 * time.Minute / time.Duration(len(votes))
	for i, v := range votes {
		out[i] = in.Score(context.Background(), v)
		c.Add(step)
	}
	return out
}

func statuses(vs []voting.Verdict) map[voting.Status]int {
	n := map[voting.Status]int{}
	for _, v := range vs {
		n[v.Status]++
	}
	return n
}

func TestIngest_Score_conservative(t *testing.T) {
	agents := []string{chrome, safari, firefox}
	mail := []string{voting.EmailFree, voting.EmailOrganisation}
	tests := []struct {
		name    string
		edition string
		votes   func() []*voting.Vote
		// Of the votes, how many at least and at most may end with each
		// status.
		counted, flagged, rejected [2]int
	}{
		{
			// A campus: 400 students behind one /24, their own browsers
			// and phones, accounts made last term, each voting in six
			// categories within ten minutes.
			name: "campus", edition: "strict",
			votes: func() []*voting.Vote {
				var vs []*voting.Vote
				for s := range 400 {
					for cat := range 6 {
						vs = append(vs, with(vote(int64(1000+s), fmt.Sprintf("%d%c", cat, 'a'+s%20)), func(c *voting.Client) {
							c.UserAgent, c.EmailClass = agents[s%3], mail[s%2]
							c.AccountAge, c.DeviceHint = 200*24*time.Hour, fmt.Sprint("d", s)
							c.SignedInFor = time.Duration(5+s%60) * time.Second
						}))
					}
				}
				return vs
			},
			counted: [2]int{2400, 2400},
		},
		{
			// A project's honest campaign: a newsletter brings 300 people
			// who sign up and vote for it at once, from their own
			// networks. It may be flagged for review; it is never rejected.
			name: "campaign", edition: "strict",
			votes: func() []*voting.Vote {
				var vs []*voting.Vote
				for s := range 300 {
					vs = append(vs, with(young(int64(5000+s), "1a"), func(c *voting.Client) {
						c.UserAgent, c.EmailClass = agents[s%3], voting.EmailFree
						c.AccountAge, c.SignedInFor = time.Duration(60+s%120)*time.Second, time.Duration(2+s%30)*time.Second
					}))
				}
				return vs
			},
			counted: [2]int{0, 300}, flagged: [2]int{0, 300},
		},
		{
			// A farm: 300 headless browsers with brand-new disposable
			// accounts on one network, voting for one project the moment
			// they sign in. Under the default thresholds it is flagged,
			// never rejected.
			name: "farm, default thresholds", edition: "e",
			votes:   func() []*voting.Vote { return farm(300) },
			flagged: [2]int{300, 300},
		},
		{
			// The same farm where the edition rejects from 0.9: once the
			// windows see the crowd and the burst, it is rejected.
			name: "farm, reject at 0.9", edition: "strict",
			votes:   func() []*voting.Vote { return farm(300) },
			counted: [2]int{0, 10}, flagged: [2]int{0, 150}, rejected: [2]int{150, 300},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			in := newIngest(t, c, antifraud.IngestOptions{})
			votes := tc.votes()
			for _, v := range votes {
				v.Edition = tc.edition
			}
			got := statuses(crowd(in, c, votes))
			t.Logf("statuses: %v", got)
			for _, want := range []struct {
				s      voting.Status
				within [2]int
			}{{voting.StatusCounted, tc.counted}, {voting.StatusFlagged, tc.flagged}, {voting.StatusRejected, tc.rejected}} {
				if n := got[want.s]; n < want.within[0] || n > want.within[1] {
					t.Errorf("%d votes %s; want %d to %d (all: %v)", n, want.s, want.within[0], want.within[1], got)
				}
			}
		})
	}
}

// farm is n votes of a bot farm for project 1a.
func farm(n int) []*voting.Vote {
	var vs []*voting.Vote
	for s := range n {
		vs = append(vs, with(vote(int64(90000+s), "1a"), func(c *voting.Client) {
			c.Network, c.UserAgent, c.EmailClass = "192.0.2.0/24", headless, voting.EmailDisposable
			c.AccountAge, c.SignedInFor = 40*time.Second, 500*time.Millisecond
		}))
	}
	return vs
}

func TestIngest_Score_boundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("feeds millions of votes")
	}
	c := newClock()
	in := newIngest(t, c, antifraud.IngestOptions{Networks: 4096, Devices: 4096, Projects: 1024})
	projects := make([]string, 50_000)
	for i := range projects {
		projects[i] = "p" + strconv.Itoa(i)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 1 << 20
	v := vote(1, "1a")
	var buf []byte
	for i := range n {
		v.VoterID, v.ProjectID = int64(i+1), projects[i%len(projects)]
		buf = strconv.AppendInt(append(buf[:0], "net-"...), int64(i), 10)
		v.Client.Network = string(buf)
		buf = strconv.AppendInt(append(buf[:0], "device-"...), int64(i), 10)
		v.Client.DeviceHint = string(buf)
		in.Assess(v)
		if i%1000 == 0 {
			c.Add(time.Second)
		}
	}
	s := in.Stats()
	if s.NetworksCap > 4096 || s.DevicesCap > 4096 || s.ProjectsCap > 1024 {
		t.Fatalf("caps %+v above those asked for", s)
	}
	if s.Networks > s.NetworksCap || s.Devices > s.DevicesCap || s.Projects > s.ProjectsCap || s.Networks < s.NetworksCap/2 {
		t.Fatalf("after %d distinct networks and devices: %+v", n, s)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Fatalf("the heap grew by %d bytes over %d distinct networks and devices", grown, n)
	}
	runtime.KeepAlive(in)
}

func TestIngest_Assess_allocations(t *testing.T) {
	in := newIngest(t, newClock(), antifraud.IngestOptions{})
	v := with(vote(1, "1a"), func(c *voting.Client) {
		c.DeviceHint, c.UserAgent, c.AccountAge = "device-1", headless, time.Minute
	})
	in.Score(context.Background(), v) // the reason list of this mask is made once
	if n := testing.AllocsPerRun(1000, func() { in.Score(context.Background(), v) }); n != 0 {
		t.Fatalf("Score allocates %v times per vote", n)
	}
}

func TestIngest_Score_concurrent(t *testing.T) {
	c := newClock()
	in := newIngest(t, c, antifraud.IngestOptions{})
	const workers, each = 8, 250
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Ten accounts on one network and one device, and votes
				// on networks and devices of their own.
				in.Score(context.Background(), with(vote(int64(i%10+1), "1a"), func(c *voting.Client) { c.DeviceHint = "shared" }))
				in.Score(context.Background(), with(vote(int64(w*each+i+100), "2a"), func(c *voting.Client) {
					c.Network, c.DeviceHint = fmt.Sprintf("10.%d.%d.0/24", w, i), fmt.Sprint(w, "-", i)
				}))
				if i%50 == 0 {
					c.Add(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	// Every vote was counted once: 2,000 votes from the shared network
	// give it the exact weight of 2,001 (ten accounts are no crowd).
	score, reasons := in.Assess(vote(1, "1a"))
	want := 0.1 + 0.15*(2001-300)/(3000-300.0)
	if math.Abs(score-want) > 1e-9 || !slices.Equal(reasons, []string{antifraud.IngestNetworkVotes}) {
		t.Fatalf("after %d concurrent votes: score %v, reasons %q; want %v", workers*each, score, reasons, want)
	}
	// The shared device saw exactly ten accounts.
	score, reasons = in.Assess(with(vote(1, "1a"), func(c *voting.Client) { c.DeviceHint, c.Network = "shared", "" }))
	if want := 0.15 + 0.25*(10-4)/12.0; math.Abs(score-want) > 1e-9 || !slices.Equal(reasons, []string{antifraud.IngestDeviceReuse}) {
		t.Fatalf("the shared device: score %v, reasons %q; want %v", score, reasons, want)
	}
}

func BenchmarkIngest_Score(b *testing.B) {
	c := newClock()
	in := newIngest(b, c, antifraud.IngestOptions{})
	// A realistic mix: many networks and devices, some shared, accounts
	// of every age, 360 projects.
	const n = 1 << 14
	votes := make([]*voting.Vote, n)
	for i := range votes {
		v := vote(int64(i+1), fmt.Sprintf("%d%d", i%18, i%20))
		v.Client.Network = fmt.Sprintf("10.%d.%d.0/24", i%97, i%13)
		v.Client.DeviceHint = fmt.Sprintf("device-%d", i%5000)
		v.Client.AccountAge = time.Duration(i%100) * time.Hour
		votes[i] = v
	}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			in.Score(ctx, votes[i&(n-1)])
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				in.Score(ctx, votes[i&(n-1)])
				i += 7
			}
		})
	})
}
