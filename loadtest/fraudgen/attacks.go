package fraudgen

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Attack kinds.
const (
	KindBotFarm        = "bot_farm"
	KindProxyFarm      = "proxy_farm"
	KindDisposableWave = "disposable_wave"
	KindAgedRing       = "aged_ring"
	KindSlowDrip       = "slow_drip"
	KindPaidCrowd      = "paid_crowd"
	KindPhoneFarm      = "phone_farm"
)

// kindDefaults are each kind's size and timing when the configuration
// leaves them out.
var kindDefaults = map[string]Attack{
	KindBotFarm:        {Targets: 2, MinRank: 6, MaxRank: 10, Overshoot: 0.5, MinLift: 0.3, Day: 11.3, Days: 2, Networks: 1},
	KindProxyFarm:      {Targets: 3, MinRank: 6, MaxRank: 12, Overshoot: 0.3, MinLift: 0.25, Day: 4, Days: 12},
	KindDisposableWave: {Targets: 2, MinRank: 6, MaxRank: 10, Overshoot: 0.4, MinLift: 0.25, Day: 19.5, Days: 1.5, Networks: 24},
	KindAgedRing:       {Targets: 6, MinRank: 6, MaxRank: 9, Overshoot: 0.2, MinLift: 0.25, Day: 8, Days: 10},
	KindSlowDrip:       {Targets: 2, MinRank: 6, MaxRank: 8, Overshoot: 0.2, MinLift: 0.25, Day: 2, Days: 26, Networks: 4},
	KindPaidCrowd:      {Targets: 2, MinRank: 6, MaxRank: 10, Overshoot: 0.3, MinLift: 0.25, Day: 14, Days: 6},
	KindPhoneFarm:      {Targets: 2, MinRank: 6, MaxRank: 10, Overshoot: 0.3, MinLift: 0.25, Day: 21, Days: 6, Networks: 2},
}

// Kinds returns the attack kinds in a stable order.
func Kinds() []string {
	return []string{KindBotFarm, KindProxyFarm, KindDisposableWave, KindAgedRing, KindSlowDrip, KindPaidCrowd, KindPhoneFarm}
}

// AttackSummary is what one attack did: its targets, and the categories
// whose top five it changes when its votes are counted with the honest
// ones.
type AttackSummary struct {
	Label    string          `json:"label"`
	Kind     string          `json:"kind"`
	Accounts int             `json:"accounts"`
	Votes    int             `json:"votes"`
	Targets  []TargetSummary `json:"targets"`
	Changes  []string        `json:"changes"`
}

// TargetSummary is one project an attack pushes: its honest rank and
// votes, the honest votes of the fifth, and the votes the attack adds.
type TargetSummary struct {
	Category string `json:"category"`
	Project  string `json:"project"`
	Rank     int    `json:"rank"`
	Honest   int    `json:"honest"`
	Fifth    int    `json:"fifth"`
	Added    int    `json:"added"`
}

// target is one project an attack pushes and the votes it gives it.
type target struct {
	project int16
	votes   int
}

// plan is one attack being generated.
type plan struct {
	a        Attack
	label    uint8
	targets  []target
	from, to int64
}

func (t *Traffic) attack(r *rand.Rand, a Attack, used []int) (AttackSummary, error) {
	pl := &plan{a: a, label: t.label(a.Label, false)}
	pl.from = t.clock.start + int64(a.Day*float64(day))
	pl.to = pl.from + int64(a.Days*float64(day))
	s := AttackSummary{Label: a.Label, Kind: a.Kind}
	order := r.Perm(len(t.cats))
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(used[x], used[y]) })
	taken := map[int16]bool{}
	for _, at := range t.attacks {
		for _, ts := range at.Targets {
			for i, p := range t.projects {
				if p.id == ts.Project {
					taken[int16(i)] = true
				}
			}
		}
	}
	for _, cat := range order[:min(a.Targets, len(order))] {
		st := t.standing(t.honestTally, cat)
		rank := min(a.MinRank+r.IntN(a.MaxRank-a.MinRank+1), len(st))
		for rank < len(st) && taken[st[rank-1]] {
			rank++
		}
		p := st[rank-1]
		fifth := t.honestTally[st[4]]
		need := fifth - t.honestTally[p] + 1
		votes := int(math.Ceil(max(float64(need)*(1+a.Overshoot), float64(fifth)*a.MinLift)))
		pl.targets = append(pl.targets, target{project: p, votes: votes})
		used[cat]++
		s.Targets = append(s.Targets, TargetSummary{Category: t.cats[cat], Project: t.projects[p].id,
			Rank: rank, Honest: t.honestTally[p], Fifth: fifth, Added: votes})
	}
	accounts, votes := len(t.accounts), len(t.votes)
	switch a.Kind {
	case KindBotFarm:
		t.botFarm(r, pl)
	case KindProxyFarm:
		t.proxyFarm(r, pl)
	case KindDisposableWave:
		t.disposableWave(r, pl)
	case KindAgedRing:
		t.agedRing(r, pl)
	case KindSlowDrip:
		t.slowDrip(r, pl)
	case KindPaidCrowd:
		t.paidCrowd(r, pl)
	case KindPhoneFarm:
		t.phoneFarm(r, pl)
	default:
		return s, fmt.Errorf("kind %q is not known", a.Kind)
	}
	s.Accounts, s.Votes = len(t.accounts)-accounts, len(t.votes)-votes
	added := map[int16]int{}
	for _, v := range t.votes[votes:] {
		added[v.project]++
	}
	for i, tg := range pl.targets {
		s.Targets[i].Added = added[tg.project]
	}
	s.Changes = t.changes(pl.label)
	return s, nil
}

// changes returns the categories whose top five differs from the honest
// one when the votes labelled label are counted too.
func (t *Traffic) changes(label uint8) []string {
	with := t.tally(func(a *account) bool { return t.honest[a.label] || a.label == label })
	var out []string
	for c := range t.cats {
		h, w := t.standing(t.honestTally, c)[:5], t.standing(with, c)[:5]
		slices.Sort(h)
		slices.Sort(w)
		if !slices.Equal(h, w) {
			out = append(out, t.cats[c])
		}
	}
	return out
}

// accountsFor returns how many accounts an attack needs so that about
// share of them vote for its most pushed target.
func accountsFor(targets []target, share float64) int {
	most := 0
	for _, tg := range targets {
		most = max(most, tg.votes)
	}
	return int(math.Ceil(float64(most) / share))
}

// assign spreads each target's votes over n accounts, each account voting
// at most once per target, and returns the targets of each account. An
// account left without one gets one at random: nobody is paid to vote for
// nothing.
func assign(r *rand.Rand, n int, targets []target) [][]int16 {
	out := make([][]int16, n)
	for _, tg := range targets {
		for _, i := range r.Perm(n)[:min(tg.votes, n)] {
			out[i] = append(out[i], tg.project)
		}
	}
	for i := range out {
		if len(out[i]) == 0 {
			out[i] = []int16{targets[r.IntN(len(targets))].project}
		}
	}
	return out
}

// withCover adds n votes in categories the account does not push, chosen
// as the public chooses, so that the account looks like a voter.
func (t *Traffic) withCover(r *rand.Rand, picks []int16, n int) []int16 {
	taken := make([]bool, len(t.cats))
	for _, p := range picks {
		taken[t.projects[p].cat] = true
	}
	for _, c := range r.Perm(len(t.cats)) {
		if n == 0 {
			break
		}
		if !taken[c] {
			picks = append(picks, t.pop.popular(r, c))
			n--
		}
	}
	return picks
}

// quickSession casts picks as a script does: a fixed order and a second
// or two between votes.
func (t *Traffic) quickSession(r *rand.Rand, acct int32, start int64, picks []int16, ua string, dev uint64, acc *access) int64 {
	uaID := t.uas.id(ua)
	at := start
	for i, p := range picks {
		if i > 0 {
			at += int64(between(r, 0.8, 4) * float64(second))
		}
		if at >= t.clock.end {
			// Voting has closed: the rest of the ballot is refused.
			break
		}
		t.votes = append(t.votes, vote{at: at, net: acc.net, device: dev, account: acct, ua: uaID, project: p})
	}
	return at
}

func (t *Traffic) sortByCategory(picks []int16) []int16 {
	slices.SortFunc(picks, func(a, b int16) int { return t.projects[a].cat - t.projects[b].cat })
	return picks
}
