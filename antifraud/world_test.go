package antifraud_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/wsisvote/prizes/antifraud"
)

// world builds labelled synthetic traffic for the analyser's tests and
// benchmark: an edition of categories and nominees, honest voters whose
// choices follow each category's popularity, honest crowds that look
// coordinated (a campus, a carrier's NAT, a company, families, a
// newsletter, an organisation's slate), and attacks. It is independent of
// the project's traffic generator (loadtest/fraudgen), so that the rules
// are tried on two different ideas of what traffic looks like.
type world struct {
	rng      *rand.Rand
	start    time.Time
	days     int
	cats     []string
	projects [][]string  // per category, most popular first
	cdf      [][]float64 // per category, cumulative choice weights
	agents   []string
	agentCDF []float64
	domains  []string
	domCDF   []float64

	votes  []antifraud.Vote
	labels map[string]string // vote id -> label; absent means honest background
	honest map[string]bool   // label -> honest
	voter  int64
	seq    int
}

// newWorld makes an edition of cats categories with per nominees each,
// running for days days.
func newWorld(seed uint64, cats, per, days int) *world {
	w := &world{
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		start:  time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC),
		days:   days,
		labels: make(map[string]string),
		honest: map[string]bool{"background": true},
		voter:  1000,
	}
	for c := range cats {
		code := fmt.Sprintf("C%02d", c+1)
		w.cats = append(w.cats, code)
		var ps []string
		for p := range per {
			ps = append(ps, fmt.Sprintf("%s-P%02d", code, p+1))
		}
		w.projects = append(w.projects, ps)
		w.cdf = append(w.cdf, zipfCDF(per, 0.9+0.3*w.rng.Float64()))
	}
	for i := range 400 {
		w.agents = append(w.agents, fmt.Sprintf("Mozilla/5.0 (device %d) AppleWebKit/537.36 Chrome/%d.0 Mobile Safari/537.36", i, 80+i%40))
	}
	w.agentCDF = zipfCDF(len(w.agents), 1.1)
	w.domains = []string{"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com"}
	for i := range 5000 {
		w.domains = append(w.domains, fmt.Sprintf("org%d.example", i))
	}
	w.domCDF = zipfCDF(len(w.domains), 1.2)
	return w
}

func zipfCDF(n int, s float64) []float64 {
	cdf := make([]float64, n)
	sum := 0.0
	for k := range n {
		sum += 1 / math.Pow(float64(k+1), s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	return cdf
}

func pick(rng *rand.Rand, cdf []float64) int {
	return min(sort.SearchFloat64s(cdf, rng.Float64()), len(cdf)-1)
}

// profile is how an account looks and votes.
type profile struct {
	label    string
	network  func() string
	agent    func() string
	device   func() string
	domain   func() string
	created  func(first time.Time) time.Time
	at       time.Time // start of the voting session
	target   string    // a project voted for, or ""
	extra    float64   // chance of voting in more categories than the target's
	projects []string  // a fixed set to vote for (a ring), instead of target
	cover    int       // popular nominees added to look ordinary
}

func (w *world) homeNetwork() string {
	return fmt.Sprintf("10.%d.%d.0/24", w.rng.IntN(256), w.rng.IntN(256))
}

func (w *world) carrierNetwork() string {
	return fmt.Sprintf("100.64.%d.0/24", int(math.Floor(40*math.Pow(w.rng.Float64(), 2))))
}

func (w *world) workNetwork() string {
	return fmt.Sprintf("172.16.%d.0/24", int(math.Floor(3000*math.Pow(w.rng.Float64(), 1.5))))
}

// anyNetwork is an honest voter's network: mostly home, some a mobile
// carrier's shared addresses, some a workplace.
func (w *world) anyNetwork() string {
	switch r := w.rng.Float64(); {
	case r < 0.65:
		return w.homeNetwork()
	case r < 0.9:
		return w.carrierNetwork()
	default:
		return w.workNetwork()
	}
}

func (w *world) anyAgent() string  { return w.agents[pick(w.rng, w.agentCDF)] }
func (w *world) anyDomain() string { return w.domains[pick(w.rng, w.domCDF)] }
func (w *world) anyDevice() string {
	if w.rng.Float64() < 0.08 {
		return ""
	}
	return fmt.Sprintf("d%016x", w.rng.Uint64())
}

// honestCreated is an honest account's creation: half sign up minutes
// before voting, half have had an account for months or years.
func (w *world) honestCreated(first time.Time) time.Time {
	if w.rng.Float64() < 0.5 {
		return first.Add(-time.Duration(math.Exp(w.rng.NormFloat64()+math.Log(240)) * float64(time.Second)))
	}
	return w.start.Add(-time.Duration(1+w.rng.IntN(1000)) * 24 * time.Hour).Add(time.Duration(w.rng.IntN(86400)) * time.Second)
}

func (w *world) honestProfile(label string, at time.Time) profile {
	return profile{label: label, network: w.anyNetwork, agent: w.anyAgent, device: w.anyDevice,
		domain: w.anyDomain, created: w.honestCreated, at: at}
}

// sessionTime draws an honest session start: more traffic in the first
// and last days, and by day than by night in the voter's time zone.
func (w *world) sessionTime() time.Time {
	for {
		d := w.rng.Float64() * float64(w.days)
		edge := 1 + 2*math.Exp(-d/2) + 3*math.Exp(-(float64(w.days)-d)/2)
		tz := float64(w.rng.IntN(24))
		hour := math.Mod(d*24+tz, 24)
		diurnal := 0.3 + 0.7*math.Max(0, math.Sin((hour-6)/24*2*math.Pi))
		if w.rng.Float64()*6 < edge*diurnal {
			return w.start.Add(time.Duration(d * 24 * float64(time.Hour)))
		}
	}
}

// cast writes one account's votes: its target (or ring set) first, then,
// with probability extra or for a background voter, more categories chosen
// by popularity, a few seconds to a minute apart.
func (w *world) cast(p profile) {
	w.voter++
	id := w.voter
	network, agent, device, domain := p.network(), p.agent(), p.device(), p.domain()
	created := p.created(p.at)
	chosen := map[int]string{}
	var order []int
	add := func(c int, proj string) {
		if _, ok := chosen[c]; !ok {
			chosen[c] = proj
			order = append(order, c)
		}
	}
	for _, proj := range p.projects {
		add(w.catOf(proj), proj)
	}
	if p.target != "" {
		add(w.catOf(p.target), p.target)
	}
	k := 0
	if p.target == "" && len(p.projects) == 0 {
		switch r := w.rng.Float64(); {
		case r < 0.35:
			k = 1
		case r < 0.5:
			k = len(w.cats)
		default:
			k = 2 + w.rng.IntN(len(w.cats)-2)
		}
	} else if w.rng.Float64() < p.extra {
		k = len(order) + 1 + w.rng.IntN(len(w.cats)-len(order))
	}
	for _, c := range w.rng.Perm(len(w.cats)) {
		if len(order) >= k {
			break
		}
		add(c, w.projects[c][pick(w.rng, w.cdf[c])])
	}
	for _, c := range w.rng.Perm(len(w.cats))[:p.cover] {
		add(c, w.projects[c][w.rng.IntN(2)])
	}
	t := p.at
	for _, c := range order {
		w.seq++
		vid := fmt.Sprintf("v%08d", w.seq)
		w.votes = append(w.votes, antifraud.Vote{
			VoteID: vid, VoterID: id, ProjectID: chosen[c], Category: w.cats[c], CastAt: t.Truncate(time.Second),
			Network: network, UserAgent: agent, DeviceHint: device, EmailDomain: domain, AccountCreatedAt: created.Truncate(time.Second),
		})
		if p.label != "background" {
			w.labels[vid] = p.label
		}
		t = t.Add(time.Duration(5+w.rng.ExpFloat64()*25) * time.Second)
	}
}

func (w *world) catOf(project string) int {
	for c, ps := range w.projects {
		for _, q := range ps {
			if q == project {
				return c
			}
		}
	}
	panic("unknown project " + project)
}

// --- honest traffic ---

// background adds n honest voters spread over the edition.
func (w *world) background(n int) {
	for range n {
		w.cast(w.honestProfile("background", w.sessionTime()))
	}
}

// response draws an honest response time to a message sent at t0: most
// within hours, a tail over days.
func (w *world) response(t0 time.Time, tau time.Duration) time.Time {
	return t0.Add(time.Duration(w.rng.ExpFloat64() * float64(tau)))
}

// campus adds a university's campaign for its own project: students behind
// the campus's few networks, many with the university's domain, answering
// an email and a reminder.
func (w *world) campus(project string, n int, t0 time.Time) {
	w.honest["campus"] = true
	nets := []string{w.homeNetwork(), w.homeNetwork()}
	uni := fmt.Sprintf("uni%d.edu", w.rng.IntN(1000))
	for i := range n {
		p := w.honestProfile("campus", w.response(t0, 8*time.Hour))
		if i%3 == 0 {
			p.at = w.response(t0.Add(72*time.Hour), 12*time.Hour)
		}
		p.network = func() string { return nets[w.rng.IntN(len(nets))] }
		p.domain = func() string {
			if w.rng.Float64() < 0.7 {
				return uni
			}
			return w.anyDomain()
		}
		if w.rng.Float64() < 0.85 {
			p.target, p.extra = project, 0.4
		}
		w.cast(p)
	}
}

// newsletter adds a project's honest campaign: its community, from
// everywhere, answering one message.
func (w *world) newsletter(project string, n int, t0 time.Time) {
	w.honest["newsletter"] = true
	for range n {
		p := w.honestProfile("newsletter", w.response(t0, 5*time.Hour))
		p.target, p.extra = project, 0.35
		w.cast(p)
	}
}

// cgnat adds n ordinary voters behind one mobile carrier's few addresses.
func (w *world) cgnat(n int) {
	w.honest["cgnat"] = true
	nets := []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"}
	for range n {
		p := w.honestProfile("cgnat", w.sessionTime())
		p.network = func() string { return nets[w.rng.IntN(len(nets))] }
		w.cast(p)
	}
}

// company adds n employees behind one network with the company's standard
// browser and domain; half vote for their company's project after an
// internal message, during working hours over a few days.
func (w *world) company(project string, n int, t0 time.Time) {
	w.honest["company"] = true
	net := w.workNetwork()
	ua := w.agents[7]
	dom := fmt.Sprintf("corp%d.example", w.rng.IntN(1000))
	for range n {
		day := time.Duration(w.rng.IntN(4)) * 24 * time.Hour
		p := w.honestProfile("company", t0.Add(day+time.Duration(w.rng.Float64()*8*float64(time.Hour))))
		p.network = func() string { return net }
		p.agent = func() string {
			if w.rng.Float64() < 0.8 {
				return ua
			}
			return w.anyAgent()
		}
		p.domain = func() string { return dom }
		if w.rng.Float64() < 0.5 {
			p.target, p.extra = project, 0.3
		}
		w.cast(p)
	}
}

// families adds n households of two to five people sharing one device and
// network, who vote together for a relative's project.
func (w *world) families(project string, n int) {
	w.honest["family"] = true
	for range n {
		net, dev, ua := w.homeNetwork(), fmt.Sprintf("fam%016x", w.rng.Uint64()), w.anyAgent()
		t := w.sessionTime()
		for range 2 + w.rng.IntN(4) {
			p := w.honestProfile("family", t)
			p.network, p.device, p.agent = func() string { return net }, func() string { return dev }, func() string { return ua }
			p.target, p.extra = project, 0.5
			w.cast(p)
			t = t.Add(time.Duration(60+w.rng.IntN(600)) * time.Second)
		}
	}
}

// --- attacks ---

// botFarm adds n scripted accounts behind one address with one browser
// string, signed up in a batch and voting at a steady pace.
func (w *world) botFarm(project string, n int, t0 time.Time) {
	w.honest["botfarm"] = false
	net, ua := w.homeNetwork(), w.anyAgent()
	batch := t0.Add(-20 * time.Hour)
	for i := range n {
		created := batch.Add(time.Duration(i*30+w.rng.IntN(5)) * time.Second)
		at := t0.Add(time.Duration(i*40+w.rng.IntN(10)) * time.Second)
		w.cast(profile{label: "botfarm", network: func() string { return net }, agent: func() string { return ua },
			device: func() string { return "" }, domain: w.anyDomain, created: func(time.Time) time.Time { return created },
			at: at, target: project})
	}
}

// proxyFarm adds n fresh accounts, each behind a fresh residential network
// with a browser string drawn like an honest one's, signing up moments
// before voting at random times over half a day.
func (w *world) proxyFarm(project string, n int, t0 time.Time) {
	w.honest["proxyfarm"] = false
	for range n {
		at := t0.Add(time.Duration(w.rng.Float64() * 12 * float64(time.Hour)))
		w.cast(profile{label: "proxyfarm", network: w.homeNetwork, agent: w.anyAgent, device: w.anyDevice, domain: w.anyDomain,
			created: func(first time.Time) time.Time { return first.Add(-time.Duration(5+w.rng.IntN(25)) * time.Second) },
			at:      at, target: project})
	}
}

// disposableWave adds n accounts on a few throwaway mail domains, signed
// up in a wave over two hours and voting soon after.
func (w *world) disposableWave(project string, n int, t0 time.Time) {
	w.honest["disposable"] = false
	doms := []string{fmt.Sprintf("mail%d.top", w.rng.IntN(1000)), fmt.Sprintf("inbox%d.xyz", w.rng.IntN(1000))}
	for range n {
		at := t0.Add(time.Duration(w.rng.Float64() * 2 * float64(time.Hour)))
		w.cast(profile{label: "disposable", network: w.anyNetwork, agent: w.anyAgent, device: w.anyDevice,
			domain:  func() string { return doms[w.rng.IntN(len(doms))] },
			created: func(first time.Time) time.Time { return first.Add(-time.Duration(30+w.rng.IntN(300)) * time.Second) },
			at:      at, target: project})
	}
}

// agedRing adds n old, ordinary-looking accounts, farmed in two batches
// years ago, that operators log into one after another, in rounds of a
// few dozen, to vote for the same set of projects and one or two popular
// nominees.
func (w *world) agedRing(projects []string, n int, t0 time.Time) {
	w.ring("ring", projects, len(projects), n, t0)
}

// partialRing is an aged ring whose members each vote for only k of the
// ring's projects, chosen at random.
func (w *world) partialRing(projects []string, k, n int, t0 time.Time) {
	w.ring("partialring", projects, k, n, t0)
}

func (w *world) ring(label string, projects []string, k, n int, t0 time.Time) {
	w.honest[label] = false
	batches := []time.Time{w.day(-800), w.day(-500)}
	created := make([]time.Time, n)
	for i := range created {
		b := batches[i%len(batches)].Add(time.Duration(i/len(batches)) * 7 * time.Minute)
		created[i] = b.Add(time.Duration(w.rng.IntN(240)) * time.Second)
	}
	w.rng.Shuffle(n, func(i, j int) { created[i], created[j] = created[j], created[i] })
	session := t0
	for i := range n {
		if i%30 == 0 && i > 0 {
			session = session.Add(time.Duration(20+w.rng.IntN(30)) * time.Hour)
		}
		session = session.Add(time.Duration(60+w.rng.IntN(240)) * time.Second)
		p := w.honestProfile(label, session)
		at := created[i]
		p.created = func(time.Time) time.Time { return at }
		p.cover = w.rng.IntN(3)
		for _, i := range w.rng.Perm(len(projects))[:k] {
			p.projects = append(p.projects, projects[i])
		}
		w.cast(p)
	}
}

// slate adds an organisation's honest call to vote for all its nominees:
// n of its people and followers, ordinary accounts, answering over hours,
// many of them filling the rest of the ballot as they like.
func (w *world) slate(projects []string, n int, t0 time.Time) {
	w.honest["slate"] = true
	for range n {
		p := w.honestProfile("slate", w.response(t0, 6*time.Hour))
		p.projects, p.extra = projects, 0.4
		w.cast(p)
	}
}

// drip adds perDay votes a day for project over days days, from a few
// networks, each from a fresh account, at any hour.
func (w *world) drip(project string, perDay, days int, t0 time.Time) {
	w.honest["drip"] = false
	nets := []string{w.homeNetwork(), w.homeNetwork(), w.homeNetwork()}
	for d := range days {
		for range perDay {
			at := t0.Add(time.Duration(d)*24*time.Hour + time.Duration(w.rng.Float64()*24*float64(time.Hour)))
			w.cast(profile{label: "drip", network: func() string { return nets[w.rng.IntN(len(nets))] }, agent: w.anyAgent,
				device: w.anyDevice, domain: w.anyDomain,
				created: func(first time.Time) time.Time { return first.Add(-time.Duration(60+w.rng.IntN(600)) * time.Second) },
				at:      at, target: project})
		}
	}
}

// sorted returns the votes in cast-time order, as a ledger export lists
// them.
func (w *world) sorted() []antifraud.Vote {
	vs := slices.Clone(w.votes)
	slices.SortStableFunc(vs, func(a, b antifraud.Vote) int { return a.CastAt.Compare(b.CastAt) })
	return vs
}

// day is the start of the edition's day d.
func (w *world) day(d float64) time.Time {
	return w.start.Add(time.Duration(d * 24 * float64(time.Hour)))
}
