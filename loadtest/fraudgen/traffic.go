package fraudgen

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/wsisvote/prizes/prizes"
)

// Traffic is a generated month of votes with the accounts that cast them
// and the label of each. Generate builds it; WriteVotes and WriteLabels
// write it out in the order of casting.
type Traffic struct {
	cfg      Config
	clock    *clock
	world    *world
	agents   agents
	pop      *popularity
	projects []project
	cats     []string

	accounts []account
	votes    []vote
	uas      interned
	domains  interned
	labels   []string
	honest   []bool
	devices  uint64

	// honestTally counts the honest votes of each project, the standing
	// the attacks are sized against.
	honestTally []int
	attacks     []AttackSummary
}

// project is one nominee.
type project struct {
	id      string
	cat     int
	country *country
}

// account is one voter's account.
type account struct {
	created int64
	id      int64
	domain  int32
	label   uint8
}

// vote is one vote: who cast it when, for whom, from where and with what.
type vote struct {
	at      int64
	net     network
	device  uint64
	account int32
	ua      int32
	project int16
}

// interned holds each distinct string once.
type interned struct {
	index map[string]int32
	s     []string
}

func (in *interned) id(s string) int32 {
	if in.index == nil {
		in.index = map[string]int32{}
	}
	if i, ok := in.index[s]; ok {
		return i
	}
	in.s = append(in.s, s)
	in.index[s] = int32(len(in.s) - 1)
	return int32(len(in.s) - 1)
}

// Generate builds the month of traffic that c describes. The same
// configuration always gives the same traffic.
func Generate(c Config) (*Traffic, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	t := &Traffic{cfg: c, clock: newClock(c.Start, c.Days)}
	t.world = newWorld(newRand(c.Seed, streamWorld))
	_, cats, projects := prizes.DemoEdition(c.Edition, c.Nominees)
	catIndex := map[string]int{}
	for i, cat := range cats {
		catIndex[cat.Code] = i
		t.cats = append(t.cats, cat.Code)
	}
	for _, p := range projects {
		co := t.world.byCode[p.Country]
		if co == nil {
			return nil, fmt.Errorf("generate traffic: no country %q for project %s", p.Country, p.ID)
		}
		t.projects = append(t.projects, project{id: p.ID, cat: catIndex[p.Category], country: co})
	}
	t.pop = newPopularity(newRand(c.Seed, streamPopularity), t)
	t.honestCrowds(newRand(c.Seed, streamCrowds))
	t.honestPublic(newRand(c.Seed, streamHonest))
	t.honestTally = t.tally(func(a *account) bool { return t.honest[a.label] })
	used := make([]int, len(t.cats))
	for i, a := range c.Attacks {
		r := newRand(c.Seed, streamAttack+uint64(i))
		s, err := t.attack(r, a, used)
		if err != nil {
			return nil, fmt.Errorf("generate traffic: attack %s: %w", a.Label, err)
		}
		t.attacks = append(t.attacks, s)
	}
	t.assignVoterIDs(newRand(c.Seed, streamIDs))
	slices.SortFunc(t.votes, func(a, b vote) int {
		return cmp.Or(cmp.Compare(a.at, b.at),
			cmp.Compare(t.accounts[a.account].id, t.accounts[b.account].id),
			cmp.Compare(a.project, b.project))
	})
	return t, nil
}

// label returns the index of a label, adding it.
func (t *Traffic) label(name string, honest bool) uint8 {
	for i, l := range t.labels {
		if l == name {
			return uint8(i)
		}
	}
	t.labels = append(t.labels, name)
	t.honest = append(t.honest, honest)
	return uint8(len(t.labels) - 1)
}

func (t *Traffic) newAccount(created int64, domain string, label uint8) int32 {
	t.accounts = append(t.accounts, account{created: created, domain: t.domains.id(domain), label: label})
	return int32(len(t.accounts) - 1)
}

// newDevice returns a device never seen before.
func (t *Traffic) newDevice() uint64 {
	t.devices++
	return t.devices
}

// access is where a session's votes come from: one network, or a mobile
// carrier whose NAT may hand each new connection another public address.
type access struct {
	net network
	car *carrier
	v6  bool
	// hop is the chance that the next vote leaves through another NAT
	// address.
	hop float64
}

func fixed(n network) access { return access{net: n} }

// mobileAccess is a phone on carrier car's data network.
func mobileAccess(r *rand.Rand, car *carrier, v6 bool) access {
	a := access{car: car, v6: v6 && len(car.v6) > 0, hop: 0.15}
	a.net = car.egress(r, a.v6)
	return a
}

// session casts picks one after the other from start, as one person at one
// device, and returns when the last vote was cast.
func (t *Traffic) session(r *rand.Rand, acct int32, start int64, picks []int16, ua string, dev uint64, acc *access) int64 {
	uaID := t.uas.id(ua)
	at := start
	for i, p := range picks {
		if i > 0 {
			at += gap(r)
			if acc.car != nil && chance(r, acc.hop) {
				acc.net = acc.car.egress(r, acc.v6)
			}
		}
		if at >= t.clock.end {
			// Voting has closed: the rest of the ballot is refused.
			break
		}
		t.votes = append(t.votes, vote{at: at, net: acc.net, device: dev, account: acct, ua: uaID, project: p})
	}
	return at
}

// tally counts the votes of each project cast by accounts keep accepts.
func (t *Traffic) tally(keep func(*account) bool) []int {
	out := make([]int, len(t.projects))
	for _, v := range t.votes {
		if keep(&t.accounts[v.account]) {
			out[v.project]++
		}
	}
	return out
}

// standing returns the projects of category cat by votes in tally, most
// first, ties by project id.
func (t *Traffic) standing(tally []int, cat int) []int16 {
	var out []int16
	for i, p := range t.projects {
		if p.cat == cat {
			out = append(out, int16(i))
		}
	}
	slices.SortFunc(out, func(a, b int16) int {
		return cmp.Or(cmp.Compare(tally[b], tally[a]), cmp.Compare(t.projects[a].id, t.projects[b].id))
	})
	return out
}

// assignVoterIDs numbers the accounts in the order they were created, as
// the identity store's sequence does. Accounts made before the vote leave
// wider gaps: most people who signed up for earlier editions do not come
// back.
func (t *Traffic) assignVoterIDs(r *rand.Rand) {
	order := make([]int32, len(t.accounts))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(t.accounts[a].created, t.accounts[b].created), cmp.Compare(a, b))
	})
	id := int64(1 + r.IntN(500))
	for _, i := range order {
		if t.accounts[i].created < t.clock.start {
			id += 1 + int64(r.ExpFloat64()*3)
		} else {
			id += 1 + int64(r.ExpFloat64()*0.3)
		}
		t.accounts[i].id = id
	}
}

// Len returns the number of votes.
func (t *Traffic) Len() int { return len(t.votes) }
