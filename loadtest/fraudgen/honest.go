package fraudgen

import (
	"math/rand/v2"
	"slices"
)

// Labels of the honest public. Every honest vote carries one; a voter who
// fits several crowds gets the most specific.
const (
	LabelOrganic  = "honest_organic"
	LabelCampaign = "honest_campaign"
	LabelMobile   = "honest_mobile_nat"
	LabelCampus   = "honest_campus"
	LabelCompany  = "honest_company"
	LabelFamily   = "honest_family_device"
	LabelTerminal = "honest_public_terminal"
	LabelSlate    = "honest_org_slate"
)

// popularity is how the public chooses: each category has its favourites
// (a Zipf law over a random order of its nominees, steeper in some
// categories than others) and draws more or fewer voters, and each project
// campaigns: it posts a few times during the month and part of its
// supporters come because of a post.
type popularity struct {
	homeCDF  []float64
	catCDF   [][]float64
	catProj  [][]int16
	campaign []float64
	posts    [][]int64
}

func newPopularity(r *rand.Rand, t *Traffic) *popularity {
	p := &popularity{catCDF: make([][]float64, len(t.cats)), catProj: make([][]int16, len(t.cats))}
	for i, pr := range t.projects {
		p.catProj[pr.cat] = append(p.catProj[pr.cat], int16(i))
	}
	weight := make([]float64, len(t.projects))
	for c, projs := range p.catProj {
		w := zipfWeights(len(projs), between(r, t.cfg.ZipfMin, t.cfg.ZipfMax))
		interest := between(r, 0.6, 1.4)
		for k, j := range r.Perm(len(projs)) {
			weight[projs[j]] = interest * w[k]
		}
		for _, pr := range projs {
			p.catCDF[c] = appendCDF(p.catCDF[c], weight[pr])
		}
	}
	for i, pr := range t.projects {
		p.homeCDF = appendCDF(p.homeCDF, weight[i])
		p.campaign = append(p.campaign, between(r, 0.3, 0.8))
		n := min(4, 1+poisson(r, 1.2))
		var posts []int64
		for k := 0; k < n; k++ {
			from := t.clock.start
			switch {
			case k == 0 && chance(r, 0.5):
				// The announcement on the opening days.
				posts = append(posts, t.clock.office(r, from, from+2*day, pr.country.tz))
			case k > 0 && k == n-1 && chance(r, 0.5):
				// A last call before the close.
				posts = append(posts, t.clock.office(r, t.clock.end-3*day, t.clock.end-12*hour, pr.country.tz))
			default:
				posts = append(posts, t.clock.office(r, from, t.clock.end-2*day, pr.country.tz))
			}
		}
		p.posts = append(p.posts, posts)
	}
	return p
}

// popular draws a nominee of category cat as the public does when it has
// no tie to any: mostly a known favourite, otherwise whichever caught the
// eye in the shuffled list.
func (p *popularity) popular(r *rand.Rand, cat int) int16 {
	if chance(r, 0.55) {
		return p.catProj[cat][pick(r, p.catCDF[cat])]
	}
	return p.catProj[cat][r.IntN(len(p.catProj[cat]))]
}

// home draws the project that brings a voter to the vote.
func (p *popularity) home(r *rand.Rand) int16 { return int16(pick(r, p.homeCDF)) }

// categoriesVoted draws in how many categories an honest voter votes: a
// third only for the project that brought them, a quarter for a handful,
// the rest fill the whole ballot.
func categoriesVoted(r *rand.Rand, cats int) int {
	switch u := r.Float64(); {
	case u < 0.35:
		return 1 + r.IntN(3)
	case u < 0.60:
		return 4 + r.IntN(9)
	}
	return cats
}

// ballot returns what an honest voter votes for, in the order they do:
// the project that brought them first, then their other choices, k
// categories in all, in the ballot's order or as they scroll.
func (t *Traffic) ballot(r *rand.Rand, home int16, slate []int16, k int, copyFrom []int16) []int16 {
	taken := make([]bool, len(t.cats))
	var picks []int16
	if home >= 0 {
		picks = append(picks, home)
		taken[t.projects[home].cat] = true
	}
	for _, p := range slate {
		if !taken[t.projects[p].cat] {
			picks = append(picks, p)
			taken[t.projects[p].cat] = true
		}
	}
	for _, c := range r.Perm(len(t.cats)) {
		if len(picks) >= k {
			break
		}
		if taken[c] {
			continue
		}
		taken[c] = true
		p := t.pop.popular(r, c)
		for _, q := range copyFrom {
			if t.projects[q].cat == c && chance(r, 0.5) {
				p = q
			}
		}
		picks = append(picks, p)
	}
	rest := picks[min(1, len(picks)):]
	if chance(r, 0.6) {
		slices.SortFunc(rest, func(a, b int16) int { return t.projects[a].cat - t.projects[b].cat })
	} else {
		r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	}
	return picks
}

// created is when an honest voter who first votes at first made their
// account: a fifth years ago for an earlier edition, a fifth in the weeks
// before the vote (many when the nominees were announced), most just
// before voting, signing in with an emailed code.
func (t *Traffic) created(r *rand.Rand, first int64, fresh float64) int64 {
	start := t.clock.start
	u := r.Float64()
	switch {
	case u < fresh:
		if chance(r, 0.88) {
			return first - int64(max(20, logNormal(r, 240, 1.0))*float64(second))
		}
		return max(start-2*day, first-int64(between(r, 1, 48)*float64(hour)))
	case u < fresh+(1-fresh)*0.45:
		switch v := r.Float64(); {
		case v < 0.4:
			return start - 28*day + int64(r.ExpFloat64()*2*float64(day))
		case v < 0.7:
			return start - int64(between(r, 1, 45)*float64(day))
		default:
			return start - int64(r.ExpFloat64()*2*float64(day)) - minute
		}
	}
	years := []float64{1, 1, 1, 2, 2, 3, 3, 4, 5}[r.IntN(9)]
	back := int64(years * 365 * float64(day))
	if chance(r, 0.6) {
		// Earlier editions voted in the same season.
		return start - back + int64(r.Float64()*30*float64(day))
	}
	return start - back + int64(between(r, 0, 300)*float64(day))
}

// homeAccess is where a voter of c at home or on the move connects from:
// the phone's mobile data, or the home line, over IPv6 where the provider
// offers it.
func homeAccess(r *rand.Rand, c *country, isPhone bool) (access, bool) {
	v6 := chance(r, c.v6)
	if isPhone && chance(r, c.mobile) {
		return mobileAccess(r, c.carrier(r), v6), true
	}
	return fixed(c.homeISP(r).home(r, v6)), false
}

// honestPublic casts the votes of the general public until, with the
// crowds, the honest votes reach the configured number.
func (t *Traffic) honestPublic(r *rand.Rand) {
	organic := t.label(LabelOrganic, true)
	campaign := t.label(LabelCampaign, true)
	mobile := t.label(LabelMobile, true)
	for len(t.votes) < t.cfg.HonestVotes {
		home := t.pop.home(r)
		pr := t.projects[home]
		c := pr.country
		if chance(r, 0.35) {
			c = t.world.pickCountry(r)
		}
		label := organic
		var first int64
		if chance(r, t.pop.campaign[home]) {
			posts := t.pop.posts[home]
			first = t.clock.after(r, posts[r.IntN(len(posts))], c.tz, 0.6)
			label = campaign
		} else {
			first = t.clock.organic(r, c.tz)
		}
		ua, isPhone := t.agents.device(r, c, first, c.phone)
		acc, onMobile := homeAccess(r, c, isPhone)
		if onMobile {
			label = mobile
		}
		dev := uint64(0)
		if chance(r, 0.96) {
			dev = t.newDevice()
		}
		acct := t.newAccount(t.created(r, first, 0.6), honestDomain(r, c, 0.15), label)
		picks := t.ballot(r, home, nil, categoriesVoted(r, len(t.cats)), nil)
		if len(picks) >= 4 && chance(r, 0.12) {
			// Some come back another day to finish their ballot, the home
			// line's address changed or the phone on another mast.
			cut := 1 + r.IntN(len(picks)-1)
			end := t.session(r, acct, first, picks[:cut], ua, dev, &acc)
			later := end + int64(between(r, 0.5, 9)*float64(day))
			if acc.car == nil && chance(r, 0.3) {
				acc = fixed(c.homeISP(r).home(r, chance(r, c.v6)))
			}
			if later < t.clock.end {
				t.session(r, acct, later, picks[cut:], ua, dev, &acc)
			}
			continue
		}
		t.session(r, acct, first, picks, ua, dev, &acc)
	}
}
