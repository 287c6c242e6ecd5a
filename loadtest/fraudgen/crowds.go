package fraudgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// honestCrowds casts the votes of the honest crowds that look most like
// fraud: students rallied on a campus, staff behind one office network,
// families on one device, strangers on one public computer, and an
// organisation's supporters voting its nominees in several categories.
// The mobile carriers' NAT, the fifth, is part of the general public.
func (t *Traffic) honestCrowds(r *rand.Rand) {
	for _, n := range t.cfg.Campuses {
		t.campus(r, n, t.label(LabelCampus, true))
	}
	for _, n := range t.cfg.Companies {
		t.company(r, n, t.label(LabelCompany, true))
	}
	if t.cfg.Families > 0 {
		t.families(r, t.cfg.Families, t.label(LabelFamily, true))
	}
	if t.cfg.Terminals > 0 {
		t.terminals(r, t.cfg.Terminals, t.label(LabelTerminal, true))
	}
	for _, s := range t.cfg.Slates {
		t.slate(r, s, t.label(LabelSlate, true))
	}
}

// campus is a university whose nominee asks its students to vote, in a
// lecture or by the campus list: within hours hundreds of students, most
// signing up there and then, vote from the campus network's few NAT
// addresses, on their phones or laptops, with the university's addresses
// or their own.
func (t *Traffic) campus(r *rand.Rand, students int, label uint8) {
	home := int16(r.IntN(len(t.projects)))
	c := t.projects[home].country
	nets := t.world.site(r, 2+r.IntN(3))
	uni := inventName(r, 2)
	domain := "students." + uni + "." + c.orgSfx.ac
	if strings.HasPrefix(c.orgSfx.ac, "univ-") {
		domain = "etu.univ-" + uni + "." + strings.TrimPrefix(c.orgSfx.ac, "univ-")
	}
	event := t.clock.office(r, t.clock.start+day, t.clock.end-3*day, c.tz)
	for i := 0; i < students; i++ {
		first := t.clock.after(r, event, c.tz, 0.3)
		if chance(r, 0.8) {
			first = t.clock.clamp(event + int64(logNormal(r, 80, 0.9)*float64(minute)))
		}
		ua, isPhone := t.agents.device(r, c, first, 0.75)
		acc := fixed(nets[r.IntN(len(nets))])
		if isPhone && chance(r, 0.15) {
			acc = mobileAccess(r, c.carrier(r), chance(r, c.v6))
		}
		d := domain
		if chance(r, 0.45) {
			d = honestDomain(r, c, 0)
		}
		acct := t.newAccount(t.created(r, first, 0.8), d, label)
		k := 1
		switch u := r.Float64(); {
		case u < 0.2:
			k = len(t.cats)
		case u < 0.45:
			k = 2 + r.IntN(4)
		}
		t.session(r, acct, first, t.ballot(r, home, nil, k, nil), ua, t.newDevice(), &acc)
	}
}

// company is a firm whose project is nominated: an internal memo, and its
// staff vote during working hours from the office's network, the managed
// laptops all sending the same browser string, with the company's domain.
func (t *Traffic) company(r *rand.Rand, staff int, label uint8) {
	home := int16(r.IntN(len(t.projects)))
	c := t.projects[home].country
	nets := t.world.site(r, 1+r.IntN(2))
	domain := inventName(r, 2) + "." + c.orgSfx.co
	memos := []int64{t.clock.office(r, t.clock.start, t.clock.end-5*day, c.tz)}
	if chance(r, 0.6) {
		memos = append(memos, t.clock.office(r, memos[0]+2*day, t.clock.end-2*day, c.tz))
	}
	edge := chance(r, 0.5)
	for i := 0; i < staff; i++ {
		var first int64
		if chance(r, 0.8) {
			m := memos[r.IntN(len(memos))]
			first = m + int64(logNormal(r, 120, 1.2)*float64(minute))
			if h := localHour(first, c.tz); h < 8 || h >= 18 {
				first = t.clock.office(r, first, first+3*day, c.tz)
			}
		} else {
			first = t.clock.office(r, t.clock.start, t.clock.end-day, c.tz)
		}
		first = t.clock.clamp(first)
		var ua string
		acc := fixed(nets[r.IntN(len(nets))])
		if chance(r, 0.35) {
			ua = t.agents.phone(r, c, first)
			if chance(r, 0.3) {
				acc = mobileAccess(r, c.carrier(r), chance(r, c.v6))
			}
		} else {
			ua = fleetUA(first, edge)
		}
		d := domain
		if chance(r, 0.15) {
			d = honestDomain(r, c, 0)
		}
		acct := t.newAccount(t.created(r, first, 0.65), d, label)
		picks := t.ballot(r, home, nil, categoriesVoted(r, len(t.cats)), nil)
		t.session(r, acct, first, picks, ua, t.newDevice(), &acc)
	}
}

// fleetUA is the browser of a managed fleet of office laptops: one version
// behind the newest, updated by the IT department all at once.
func fleetUA(at int64, edge bool) string {
	major := chromeNow(timeOf(at)) - 1
	if edge {
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.%d.96", major, major, 3065+(major-133)*59)
	}
	return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", major)
}

// families are households where two to five people vote on the family
// tablet, computer or phone, from the home line: often one after the other
// on the same evening, often for the same project, each with an account
// of their own.
func (t *Traffic) families(r *rand.Rand, households int, label uint8) {
	sizes := []float64{0, 0, 45, 30, 17, 8}
	var sizeCDF []float64
	for _, w := range sizes {
		sizeCDF = appendCDF(sizeCDF, w)
	}
	for h := 0; h < households; h++ {
		c := t.world.pickCountry(r)
		acc := fixed(c.homeISP(r).home(r, chance(r, c.v6)))
		var ua string
		switch u := r.Float64(); {
		case u < 0.45:
			ua = t.agents.tablet(r, c, t.clock.start)
		case u < 0.8:
			ua = t.agents.desktop(r, c, t.clock.start)
		default:
			ua = t.agents.phone(r, c, t.clock.start)
		}
		dev := t.newDevice()
		famHome := t.pop.home(r)
		var firstPicks []int16
		var firstDomain string
		var prevEnd int64
		members := pick(r, sizeCDF)
		for j := 0; j < members; j++ {
			home := famHome
			if chance(r, 0.3) {
				home = t.pop.home(r)
			}
			var first int64
			switch {
			case j > 0 && chance(r, 0.6):
				first = t.clock.clamp(prevEnd + int64(between(r, 2, 25)*float64(minute)))
			case chance(r, 0.5):
				posts := t.pop.posts[home]
				first = t.clock.after(r, posts[r.IntN(len(posts))], c.tz, 0.5)
			default:
				first = t.clock.organic(r, c.tz)
			}
			d := honestDomain(r, c, 0.1)
			if j > 0 && chance(r, 0.4) {
				d = firstDomain
			}
			acct := t.newAccount(t.created(r, first, 0.55), d, label)
			picks := t.ballot(r, home, nil, categoriesVoted(r, len(t.cats)), firstPicks)
			prevEnd = t.session(r, acct, first, picks, ua, dev, &acc)
			if j == 0 {
				firstPicks, firstDomain = picks, d
			}
		}
	}
}

// terminals are the computers of internet cafés and libraries: over the
// month dozens of unrelated people vote on each, in opening hours, from
// the café's one line. Some cafés wipe the browser every night, so the
// device hint lasts a day; others keep it all month.
func (t *Traffic) terminals(r *rand.Rand, n int, label uint8) {
	for made := 0; made < n; {
		c := t.world.pickCountry(r)
		if (c.region == regionNorth || c.region == regionEurope) && chance(r, 0.8) {
			continue
		}
		acc := fixed(c.homeISP(r).home(r, false))
		count := min(n-made, 3+r.IntN(6))
		made += count
		for k := 0; k < count; k++ {
			var ua string
			switch u := r.Float64(); {
			case u < 0.3:
				ua = "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"
			case u < 0.8:
				ua = fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", chromeNow(timeOf(t.clock.start))-3-r.IntN(8))
			default:
				ff := firefoxNow(timeOf(t.clock.start)) - 4 - r.IntN(12)
				ua = fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", ff, ff)
			}
			wipes := chance(r, 0.4)
			dev := t.newDevice()
			daily := map[int64]uint64{}
			for u := 8 + r.IntN(33); u > 0; u-- {
				first := t.clock.organic(r, c.tz)
				for i := 0; i < 20; i++ {
					if h := localHour(first, c.tz); h >= 9 && h < 21 {
						break
					}
					first = t.clock.organic(r, c.tz)
				}
				d := dev
				if wipes {
					key := localMidnight(first, c.tz)
					if daily[key] == 0 {
						daily[key] = t.newDevice()
					}
					d = daily[key]
				}
				acct := t.newAccount(t.created(r, first, 0.7), honestDomain(r, c, 0.05), label)
				picks := t.ballot(r, t.pop.home(r), nil, categoriesVoted(r, len(t.cats)), nil)
				t.session(r, acct, first, picks, ua, d, &acc)
			}
		}
	}
}

// slate is an organisation with nominees in several categories (one entry
// per category is allowed) that asks its staff, members and followers to
// vote for all of them: many people voting the same set of projects
// across categories, honestly.
func (t *Traffic) slate(r *rand.Rand, s Slate, label uint8) {
	var projects []int16
	for _, cat := range r.Perm(len(t.cats))[:min(s.Projects, len(t.cats))] {
		pr := t.pop.catProj[cat]
		projects = append(projects, pr[r.IntN(len(pr))])
	}
	c := t.projects[projects[0]].country
	domain := inventName(r, 2) + "." + c.orgSfx.org
	var posts []int64
	for k := 0; k < 2+r.IntN(2); k++ {
		posts = append(posts, t.clock.office(r, t.clock.start, t.clock.end-2*day, c.tz))
	}
	for i := 0; i < s.Supporters; i++ {
		sc := c
		if chance(r, 0.2) {
			sc = t.world.pickCountry(r)
		}
		first := t.clock.organic(r, sc.tz)
		if chance(r, 0.75) {
			first = t.clock.after(r, posts[r.IntN(len(posts))], sc.tz, 0.6)
		}
		ua, isPhone := t.agents.device(r, sc, first, sc.phone)
		acc, _ := homeAccess(r, sc, isPhone)
		var mine []int16
		for _, p := range projects {
			if chance(r, 0.9) {
				mine = append(mine, p)
			}
		}
		if len(mine) == 0 {
			mine = projects[:1]
		}
		d := honestDomain(r, sc, 0.1)
		if chance(r, 0.3) {
			d = domain
		}
		acct := t.newAccount(t.created(r, first, 0.5), d, label)
		picks := t.ballot(r, -1, mine, max(len(mine), categoriesVoted(r, len(t.cats))), nil)
		dev := uint64(0)
		if chance(r, 0.96) {
			dev = t.newDevice()
		}
		t.session(r, acct, first, picks, ua, dev, &acc)
	}
}
