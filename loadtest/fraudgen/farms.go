package fraudgen

import (
	"fmt"
	"math/rand/v2"
)

// botFarm is a script on rented servers: in two or three night-time waves
// it signs up accounts one after the other, some stockpiled days before,
// on bulk free-mail, its own catch-all domains or disposable ones, and
// votes for its targets within a couple of minutes of each sign-up, all
// from one /24 (Networks of them), rotating a few stock browser strings.
func (t *Traffic) botFarm(r *rand.Rand, pl *plan) {
	host := t.world.hosts[r.IntN(len(t.world.hosts))]
	nets := make([]network, pl.a.Networks)
	for i := range nets {
		nets[i] = host.slash24(r)
	}
	now := chromeNow(timeOf(pl.from))
	uas := []string{
		fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", now-4),
		fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", now-7),
		fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", now-5),
		fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", firefoxNow(timeOf(pl.from))-6, firefoxNow(timeOf(pl.from))-6),
	}
	catchAll := freshDomains(r, 2)
	disposable := append(freshDomains(r, 2), listedDisposable[r.IntN(len(listedDisposable))])
	tz := t.world.pickCountry(r).tz
	n := accountsFor(pl.targets, 1)
	picks := assign(r, n, pl.targets)
	waves := 2 + r.IntN(2)
	stock := pl.from - int64(between(r, 2, 10)*float64(day))
	for w := 0; w < waves; w++ {
		// Each wave starts around local midnight on one of the attack's
		// days.
		d := pl.from + int64(float64(w)/float64(waves)*float64(pl.to-pl.from))
		at := localMidnight(d, tz) + int64(between(r, -2, 2)*float64(hour))
		at = max(at, pl.from)
		for i := w; i < n; i += waves {
			at += int64(r.ExpFloat64() * 8 * float64(second))
			created := at
			if chance(r, 0.25) {
				stock += int64(r.ExpFloat64() * 6 * float64(second))
				created = stock
			}
			var domain string
			switch u := r.Float64(); {
			case u < 0.45:
				domain = pickWeighted(r, bulkMail)
			case u < 0.8:
				domain = catchAll[r.IntN(len(catchAll))]
			default:
				domain = disposable[r.IntN(len(disposable))]
			}
			acct := t.newAccount(created, domain, pl.label)
			dev := uint64(0)
			if chance(r, 0.7) {
				dev = t.newDevice()
			}
			acc := fixed(nets[r.IntN(len(nets))])
			start := at + int64(logNormal(r, 90, 0.5)*float64(second))
			t.quickSession(r, acct, start, t.sortByCategory(picks[i]), uas[i%len(uas)], dev, &acc)
		}
	}
}

// proxyCountries are where residential proxy networks have most exits.
var proxyCountries = []weighted{
	{"US", 4}, {"BR", 3}, {"IN", 3}, {"ID", 2}, {"VN", 2}, {"RU", 2}, {"TR", 1}, {"MX", 1}, {"PH", 1}, {"EG", 1}, {"GB", 1}, {"DE", 1},
}

// proxyFarm runs an anti-detect browser through a residential proxy
// network: every account gets a fresh profile (its own device hint and a
// plausible browser string), an exit on somebody's home line or phone in
// another country, and a fresh address on bulk free-mail, a disposable or
// a catch-all domain. Jobs of a few hundred accounts run at any hour over
// the attack's days; each account signs up minutes before it votes for
// the targets and a couple of other nominees.
func (t *Traffic) proxyFarm(r *rand.Rand, pl *plan) {
	catchAll := freshDomains(r, 3)
	disposable := freshDomains(r, 6)
	n := accountsFor(pl.targets, 0.95)
	picks := assign(r, n, pl.targets)
	for i := 0; i < n; {
		at := pl.from + r.Int64N(pl.to-pl.from)
		for job := 50 + r.IntN(250); job > 0 && i < n; job-- {
			at += int64(r.ExpFloat64() * 45 * float64(second))
			c := t.world.byCode[pickWeighted(r, proxyCountries)]
			acc := fixed(c.homeISP(r).home(r, chance(r, c.v6)))
			if chance(r, 0.15) {
				acc = fixed(c.carrier(r).egress(r, chance(r, c.v6)))
			}
			var domain string
			switch u := r.Float64(); {
			case u < 0.4:
				domain = pickWeighted(r, bulkMail)
			case u < 0.7:
				domain = disposable[r.IntN(len(disposable))]
			case u < 0.8:
				domain = listedDisposable[r.IntN(len(listedDisposable))]
			default:
				domain = catchAll[r.IntN(len(catchAll))]
			}
			start := at + int64(logNormal(r, 6, 0.6)*float64(minute))
			acct := t.newAccount(at, domain, pl.label)
			p := t.withCover(r, picks[i], r.IntN(3))
			r.Shuffle(len(p), func(a, b int) { p[a], p[b] = p[b], p[a] })
			t.session(r, acct, start, p, t.agents.spoofed(r, start), t.newDevice(), &acc)
			i++
		}
	}
}

// disposableWave is a sign-up wave on disposable mail: over a day or two,
// rising and falling, accounts on throwaway domains (most of them too new
// for any list, some that the project's list names since) sign up through
// a handful of VPN exits and one country's mobile data, and vote for the
// targets minutes later, with the browser strings of a few real devices.
func (t *Traffic) disposableWave(r *rand.Rand, pl *plan) {
	var exits []network
	for i := 0; i < pl.a.Networks; i++ {
		exits = append(exits, t.world.hosts[i%3].slash24(r))
	}
	c := t.world.pickCountry(r)
	uas := make([]string, 12)
	for i := range uas {
		uas[i], _ = t.agents.device(r, c, pl.from, 0.6)
	}
	fresh := freshDomains(r, 8)
	n := accountsFor(pl.targets, 1)
	picks := assign(r, n, pl.targets)
	for i := 0; i < n; i++ {
		created := pl.from + int64((r.Float64()+r.Float64())/2*float64(pl.to-pl.from))
		acc := fixed(exits[r.IntN(len(exits))])
		if chance(r, 0.3) {
			acc = mobileAccess(r, c.carrier(r), chance(r, c.v6))
		}
		domain := fresh[r.IntN(len(fresh))]
		if chance(r, 0.3) {
			domain = listedDisposable[r.IntN(len(listedDisposable))]
		}
		dev := uint64(0)
		if chance(r, 0.8) {
			dev = t.newDevice()
		}
		acct := t.newAccount(created, domain, pl.label)
		p := picks[i]
		if chance(r, 0.3) {
			p = t.withCover(r, p, 1)
		}
		start := created + int64(logNormal(r, 5, 0.8)*float64(minute))
		t.session(r, acct, start, p, uas[r.IntN(len(uas))], dev, &acc)
	}
}

// phoneFarm is a rack of Android phones on two mobile carriers' data: each
// phone signs up an account, votes, toggles flight mode for a new NAT
// address and starts again, every few minutes through long shifts. Some
// phones clear the browser between accounts, so the device hint is new
// each time; others do not. The carriers' NAT is the one honest phone
// users of the country share.
func (t *Traffic) phoneFarm(r *rand.Rand, pl *plan) {
	c := t.world.byCode[[]string{"VN", "ID", "BD", "PH"}[r.IntN(4)]]
	cars := c.carriers[:min(pl.a.Networks, len(c.carriers))]
	n := accountsFor(pl.targets, 1)
	picks := assign(r, n, pl.targets)
	// A phone does about a hundred accounts a day.
	phones := max(4, int(float64(n)/(pl.a.Days*100))+1)
	for ph := 0; ph < phones; ph++ {
		ua := androidUA(r, c, timeOf(pl.from))
		keeps := chance(r, 0.4)
		dev := t.newDevice()
		car := cars[ph%len(cars)]
		cursor := localMidnight(pl.from, c.tz) + int64(between(r, 9.5, 11)*float64(hour))
		for i := ph; i < n; i += phones {
			if localHour(cursor, c.tz) >= 22 || cursor < pl.from {
				cursor = localMidnight(cursor, c.tz) + day + int64(between(r, 9.5, 11)*float64(hour))
			}
			acc := mobileAccess(r, car, chance(r, c.v6))
			acc.hop = 0
			if !keeps {
				dev = t.newDevice()
			}
			domain := "gmail.com"
			if chance(r, 0.1) {
				domain = pickWeighted(r, bulkMail)
			}
			acct := t.newAccount(cursor, domain, pl.label)
			p := picks[i]
			if chance(r, 0.4) {
				p = t.withCover(r, p, 1)
			}
			start := cursor + int64(logNormal(r, 90, 0.4)*float64(second))
			end := t.quickSession(r, acct, start, p, ua, dev, &acc)
			cursor = end + int64(logNormal(r, 4, 0.4)*float64(minute))
		}
	}
}
