// Package fraudgen generates a month of labelled vote traffic at WSIS
// scale, to judge the fraud analyser offline: an export file (one
// antifraud.Vote per line, in the order of casting) and a labels file (one
// antifraud.Label per line) that says which honest crowd or which attack
// each vote belongs to.
//
// The honest public is modelled on an international prize vote: skewed
// favourites in each category, people voting in their own time zone's
// waking hours and in bursts after a nominee's newsletter, most of them
// signing up minutes before voting, on the phones, browsers and networks
// of their country, mobile carriers' NAT included. Beside it are the
// honest crowds that look most like fraud, and attacks sized from the
// honest standing so that each, if counted, changes some category's top
// five. Everything is drawn from one seed.
package fraudgen

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Config is everything that shapes the traffic.
type Config struct {
	// Seed decides every draw; the same configuration and seed give the
	// same bytes.
	Seed uint64 `json:"seed"`
	// Edition names the edition the nominees' ids are derived from, as
	// prizes seed --demo derives them.
	Edition string `json:"edition"`
	// Nominees is the number of nominees in each of the 18 categories.
	Nominees int `json:"nominees"`
	// Start is when voting opens; it lasts Days days.
	Start time.Time `json:"start"`
	Days  int       `json:"days"`
	// HonestVotes is how many votes the honest public casts, crowds
	// included. The attacks come on top, sized by the gaps they close.
	HonestVotes int `json:"honest_votes"`
	// ZipfMin and ZipfMax bound the exponent of each category's
	// popularity law.
	ZipfMin float64 `json:"zipf_min"`
	ZipfMax float64 `json:"zipf_max"`
	// Campuses are the students of each campus campaign.
	Campuses []int `json:"campuses"`
	// Companies are the staff of each company voting from its office.
	Companies []int `json:"companies"`
	// Families is the number of households sharing one device.
	Families int `json:"families"`
	// Terminals is the number of public computers in cafés and libraries.
	Terminals int `json:"terminals"`
	// Slates are organisations with nominees in several categories.
	Slates  []Slate  `json:"slates"`
	Attacks []Attack `json:"attacks"`
}

// Slate is an organisation with Projects nominees across categories and
// Supporters who vote for them.
type Slate struct {
	Projects   int `json:"projects"`
	Supporters int `json:"supporters"`
}

// Attack is one labelled attack. Its size is not given in votes: each of
// its Targets, a project ranked between MinRank and MaxRank by honest
// votes in a category no other attack took if one is left, gets the votes
// it lacks to pass the fifth plus Overshoot of that gap, and at least
// MinLift times the fifth's honest votes: attackers cannot know the final
// honest count while voting goes on, so they buy a margin.
type Attack struct {
	// Kind is what the attacker does (see Kinds).
	Kind string `json:"kind"`
	// Label names the attack's votes in the labels file; it defaults to
	// Kind.
	Label   string `json:"label"`
	Targets int    `json:"targets"`
	MinRank int    `json:"min_rank"`
	MaxRank int    `json:"max_rank"`
	// Overshoot is the share of the gap added on top: attackers buy more
	// than they strictly need.
	Overshoot float64 `json:"overshoot"`
	MinLift   float64 `json:"min_lift"`
	// Day and Days are when the attack runs, in days from the opening;
	// zero Days takes the kind's timing, and its Day too when Day is zero.
	Day  float64 `json:"day"`
	Days float64 `json:"days"`
	// Networks is how many networks the attacker uses where that is its
	// choice: the farm's /24s, the drip's offices and servers, the wave's
	// VPN exits, the phone farm's carriers.
	Networks int `json:"networks"`
}

// WSISVotes is the volume of the WSIS Prizes 2021 vote.
const WSISVotes = 1_300_000

// honestShare is the part of the configured volume the honest public
// casts; the attacks, sized by the standing, bring it to about the total.
const honestShare = 0.975

// Default returns a month at WSIS scale: about 1.3 million votes for 360
// nominees.
func Default() Config {
	return Config{
		Seed:        2021,
		Edition:     "demo",
		Nominees:    20,
		Start:       time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC),
		Days:        30,
		HonestVotes: int(WSISVotes * honestShare),
		ZipfMin:     0.7,
		ZipfMax:     1.2,
		Campuses:    []int{900, 450},
		Companies:   []int{600, 250},
		Families:    2500,
		Terminals:   80,
		Slates:      []Slate{{Projects: 5, Supporters: 2000}, {Projects: 4, Supporters: 1200}},
		Attacks: []Attack{
			{Kind: KindBotFarm, Targets: 2},
			{Kind: KindProxyFarm, Targets: 3},
			{Kind: KindDisposableWave, Targets: 2},
			{Kind: KindAgedRing, Targets: 6},
			{Kind: KindSlowDrip, Targets: 2},
			{Kind: KindPaidCrowd, Targets: 2},
			{Kind: KindPhoneFarm, Targets: 2},
		},
	}
}

// Scaled returns Default resized to about votes votes in all: the honest
// public and its crowds in proportion, the attacks by the gaps they must
// close.
func Scaled(votes int) Config {
	c := Default()
	f := float64(votes) / WSISVotes
	scale := func(n, least int) int { return max(least, int(math.Round(float64(n)*f))) }
	c.HonestVotes = int(float64(votes) * honestShare)
	for i := range c.Campuses {
		c.Campuses[i] = scale(c.Campuses[i], 20)
	}
	for i := range c.Companies {
		c.Companies[i] = scale(c.Companies[i], 15)
	}
	c.Families = scale(c.Families, 20)
	c.Terminals = scale(c.Terminals, 4)
	for i := range c.Slates {
		c.Slates[i].Supporters = scale(c.Slates[i].Supporters, 30)
	}
	return c
}

// Small returns a month of about 40,000 votes with every crowd and attack,
// for tests.
func Small() Config { return Scaled(40_000) }

// Validate checks c and fills in each attack's defaults. It returns every
// problem at once.
func (c *Config) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if c.Edition == "" {
		add("edition is required")
	}
	if c.Nominees < 6 {
		add("nominees is %d; at least 6 per category are needed for a top five and a sixth", c.Nominees)
	}
	if c.Start.IsZero() {
		add("start is required")
	}
	if c.Days < 7 {
		add("days is %d; at least a week", c.Days)
	}
	if c.HonestVotes <= 0 {
		add("honest votes must be positive")
	}
	if !(c.ZipfMin > 0 && c.ZipfMax >= c.ZipfMin) {
		add("zipf exponents %v..%v must be positive and in order", c.ZipfMin, c.ZipfMax)
	}
	for i, n := range append(append([]int{}, c.Campuses...), c.Companies...) {
		if n <= 0 {
			add("crowd %d: sizes must be positive", i)
		}
	}
	if c.Families < 0 || c.Terminals < 0 {
		add("families and terminals must not be negative")
	}
	for i, s := range c.Slates {
		if s.Projects < 2 || s.Projects > 18 || s.Supporters <= 0 {
			add("slates[%d]: 2 to 18 projects and some supporters", i)
		}
	}
	seen := map[string]bool{}
	for i := range c.Attacks {
		a := &c.Attacks[i]
		d, ok := kindDefaults[a.Kind]
		if !ok {
			add("attacks[%d]: kind %q is not known; want one of %s", i, a.Kind, strings.Join(Kinds(), ", "))
			continue
		}
		a.fill(d)
		if a.Label == "" {
			a.Label = a.Kind
		}
		if strings.HasPrefix(a.Label, "honest") {
			add("attacks[%d]: label %q: labels starting with honest name honest crowds", i, a.Label)
		}
		if seen[a.Label] {
			add("attacks[%d]: label %q is used twice", i, a.Label)
		}
		seen[a.Label] = true
		if a.Targets < 1 || a.Targets > 18 {
			add("attacks[%d]: targets %d must be 1 to 18", i, a.Targets)
		}
		if a.MinRank < 6 || a.MaxRank < a.MinRank || a.MaxRank > c.Nominees {
			add("attacks[%d]: ranks %d..%d must lie between 6 and the nominees", i, a.MinRank, a.MaxRank)
		}
		if a.Overshoot < 0 || a.MinLift < 0 {
			add("attacks[%d]: overshoot and min lift must not be negative", i)
		}
		if a.Day < 0 || a.Days <= 0 || a.Day+a.Days > float64(c.Days) {
			add("attacks[%d]: days %v+%v must lie within the %d days of voting", i, a.Day, a.Days, c.Days)
		}
	}
	if len(p) > 0 {
		return errors.New("invalid traffic configuration: " + strings.Join(p, "; "))
	}
	return nil
}

// fill sets every zero field of a to the kind's default.
func (a *Attack) fill(d Attack) {
	if a.Targets == 0 {
		a.Targets = d.Targets
	}
	if a.MinRank == 0 && a.MaxRank == 0 {
		a.MinRank, a.MaxRank = d.MinRank, d.MaxRank
	}
	if a.Overshoot == 0 {
		a.Overshoot = d.Overshoot
	}
	if a.MinLift == 0 {
		a.MinLift = d.MinLift
	}
	if a.Days == 0 {
		a.Days = d.Days
		if a.Day == 0 {
			a.Day = d.Day
		}
	}
	if a.Networks == 0 {
		a.Networks = d.Networks
	}
}
