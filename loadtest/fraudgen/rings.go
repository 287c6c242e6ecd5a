package fraudgen

import (
	"math/rand/v2"
)

// agedRing is a ring of aged accounts that look real: farmed in batches
// over the years before the vote, each with its own residential address,
// browser and device in one of three countries, free-mail like everyone's.
// A few operators log into them one after another during their working
// hours and vote, each account for most of the ring's projects across
// categories and a few popular nominees elsewhere.
func (t *Traffic) agedRing(r *rand.Rand, pl *plan) {
	countries := []*country{t.projects[pl.targets[0].project].country, t.world.pickCountry(r), t.world.pickCountry(r)}
	var batches []int64
	for _, years := range []float64{3, 2, 1.5, 1} {
		batches = append(batches, t.clock.start-int64((years*365+between(r, -20, 20))*float64(day)))
	}
	n := accountsFor(pl.targets, 0.9)
	picks := assign(r, n, pl.targets)
	// An operator gets through about a hundred accounts a day.
	ops := max(3, int(float64(n)/(pl.a.Days*100))+1)
	cursors := make([]int64, ops)
	opTZ := make([]float64, ops)
	for o := range cursors {
		opTZ[o] = countries[r.IntN(len(countries))].tz
		cursors[o] = t.clock.office(r, pl.from, pl.from+day, opTZ[o])
	}
	for i := 0; i < n; i++ {
		c := countries[[]int{0, 0, 1, 2}[r.IntN(4)]]
		b := batches[i%len(batches)]
		created := localMidnight(b+int64(between(r, 0, 4)*float64(day)), c.tz) + int64(between(r, 9, 22)*float64(hour))
		acc := fixed(c.homeISP(r).home(r, chance(r, c.v6/2)))
		ua, _ := t.agents.device(r, c, pl.from, c.phone)
		acct := t.newAccount(created, honestDomain(r, c, 0.03), pl.label)
		o := i % ops
		if h := localHour(cursors[o], opTZ[o]); h >= 18 || h < 9 {
			cursors[o] = t.clock.office(r, cursors[o]+12*hour, cursors[o]+36*hour, opTZ[o])
		}
		p := t.withCover(r, picks[i], r.IntN(6))
		r.Shuffle(len(p), func(a, b int) { p[a], p[b] = p[b], p[a] })
		end := t.session(r, acct, cursors[o], p, ua, t.newDevice(), &acc)
		cursors[o] = end + int64(logNormal(r, 3, 0.5)*float64(minute))
	}
}

// slowDrip is a small operation that keeps under any daily threshold: for
// weeks, every working day, a few dozen new accounts vote from the same
// few networks, an office line and a couple of rented servers, on a
// handful of laptops and phones, with free-mail, one small domain of its
// own and the odd disposable address.
func (t *Traffic) slowDrip(r *rand.Rand, pl *plan) {
	c := t.world.pickCountry(r)
	nets := []network{c.homeISP(r).home(r, false)}
	for len(nets) < pl.a.Networks {
		nets = append(nets, t.world.hosts[r.IntN(len(t.world.hosts))].slash24(r))
	}
	uas := make([]string, 8)
	for i := range uas {
		uas[i], _ = t.agents.device(r, c, pl.from, 0.4)
	}
	devices := make([]uint64, 6)
	for i := range devices {
		devices[i] = t.newDevice()
	}
	own := inventName(r, 3) + "." + c.orgSfx.co
	n := accountsFor(pl.targets, 1)
	picks := assign(r, n, pl.targets)
	for i := 0; i < n; i++ {
		// Spread evenly over the attack's days, in working hours.
		d := pl.from + int64(float64(i)/float64(n)*float64(pl.to-pl.from))
		created := t.clock.office(r, d, d+day, c.tz)
		ni := r.IntN(len(nets))
		if chance(r, 0.4) {
			ni = 0
		}
		acc := fixed(nets[ni])
		dev := t.newDevice()
		if chance(r, 0.6) {
			dev = devices[r.IntN(len(devices))]
		}
		var domain string
		switch u := r.Float64(); {
		case u < 0.7:
			domain = honestDomain(r, c, 0)
		case u < 0.8:
			domain = own
		default:
			domain = listedDisposable[r.IntN(len(listedDisposable))]
		}
		acct := t.newAccount(created, domain, pl.label)
		p := picks[i]
		if chance(r, 0.3) {
			p = t.withCover(r, p, 1)
		}
		start := created + int64(logNormal(r, 10, 0.7)*float64(minute))
		t.session(r, acct, start, p, uas[r.IntN(len(uas))], dev, &acc)
	}
}

// workerCountries are where micro-task platforms have most workers.
var workerCountries = []weighted{{"BD", 3}, {"IN", 3}, {"PK", 2}, {"VE", 2}, {"PH", 2}, {"NG", 2}, {"KE", 1}, {"EG", 1}, {"ID", 1}}

// paidCrowd is vote buying through a micro-task platform: a task ("sign
// up, vote for these") is posted two or three times, and real people in
// the platform's countries take it on their own phones and home lines,
// each with a new free-mail account, within a day or two, while awake.
// Some make two or three accounts; a few add votes elsewhere.
func (t *Traffic) paidCrowd(r *rand.Rand, pl *plan) {
	var posts []int64
	for k := 0; k < 2+r.IntN(2); k++ {
		posts = append(posts, pl.from+r.Int64N(max(pl.to-pl.from-day, hour)))
	}
	n := accountsFor(pl.targets, 1)
	picks := assign(r, n, pl.targets)
	for i := 0; i < n; {
		c := t.world.byCode[pickWeighted(r, workerCountries)]
		first := t.clock.after(r, posts[r.IntN(len(posts))], c.tz, 0.5)
		ua, isPhone := t.agents.device(r, c, first, 0.85)
		acc, _ := homeAccess(r, c, isPhone)
		dev := t.newDevice()
		several := 1
		if chance(r, 0.15) {
			several = 2 + r.IntN(2)
		}
		at := first
		for k := 0; k < several && i < n; k++ {
			if k > 0 && chance(r, 0.5) {
				dev = t.newDevice()
			}
			acct := t.newAccount(at-int64(logNormal(r, 5, 0.6)*float64(minute)), honestDomain(r, c, 0), pl.label)
			p := picks[i]
			if chance(r, 0.2) {
				p = t.withCover(r, p, 1+r.IntN(3))
			}
			end := t.session(r, acct, at, p, ua, dev, &acc)
			at = end + int64(between(r, 2, 10)*float64(minute))
			i++
		}
	}
}
