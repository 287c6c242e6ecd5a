// Package scenario describes a load scenario as a file: the edition voted
// in, the voter population and how they choose, when their votes arrive,
// where they come from, labelled attack traffic, and the jury that follows.
// The replay reads one and plays it against a fresh deployment; the file
// format leaves room for the bot attacks that fraud scoring will be checked
// against, so attack traffic always carries a label.
package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// Scenario is one load scenario.
type Scenario struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Edition     Edition `json:"edition"`
	// Voters is the number of verified voters.
	Voters     int        `json:"voters"`
	Popularity Popularity `json:"popularity"`
	// Window is how many voters are voting at once; each casts a vote in
	// every category before the voters after it start.
	Window  int      `json:"window,omitempty"`
	Arrival Arrival  `json:"arrival"`
	Clients Clients  `json:"clients"`
	Attacks []Attack `json:"attacks,omitempty"`
	Jury    Jury     `json:"jury"`
	// TargetSeconds is the wall time the whole replay should fit in; zero
	// sets none.
	TargetSeconds float64 `json:"target_seconds,omitempty"`
	// PrizesEnv are PRIZES_NAME=value settings for every prizes command,
	// for example relaxed rate limits for a single-host replay.
	PrizesEnv []string `json:"prizes_env,omitempty"`
}

// Edition is the edition the scenario votes in, as `prizes seed --demo`
// creates it: the 18 WSIS categories with a number of nominees each.
type Edition struct {
	ID                  string `json:"id"`
	Categories          int    `json:"categories"`
	NomineesPerCategory int    `json:"nominees_per_category"`
	// ProofOfWork makes every vote carry a solved challenge.
	ProofOfWork bool `json:"proof_of_work"`
}

// SeededCategories is how many categories `prizes seed --demo` creates.
const SeededCategories = 18

// Popularity is how voters choose within a category.
type Popularity struct {
	// Law is "zipf": the project of rank k is chosen with weight 1/k^Exponent.
	Law      string  `json:"law"`
	Exponent float64 `json:"exponent"`
	// Seed decides the favourites and every voter's choices.
	Seed uint64 `json:"seed"`
}

// Votes returns how many votes the legitimate voters cast: one per voter per
// category.
func (s *Scenario) Votes() int64 { return int64(s.Voters) * int64(s.Edition.Categories) }

// Load reads and validates the scenario at path.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	defer f.Close()
	s, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	return s, nil
}

// Parse decodes a scenario strictly (unknown fields are errors, since a
// misspelt setting would otherwise be silently ignored) and validates it.
func Parse(r io.Reader) (*Scenario, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("parse scenario: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse scenario: %w", err)
	}
	if dec.More() {
		return nil, errors.New("parse scenario: data after the JSON object")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Problems is every problem a validation found, each naming its field.
type Problems []string

func (p Problems) Error() string { return "invalid scenario: " + strings.Join(p, "; ") }

// Validate checks every field and fills in defaults; it returns Problems
// listing all that is wrong, not just the first.
func (s *Scenario) Validate() error {
	var p Problems
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if s.Name == "" {
		add("name is required")
	}
	e := &s.Edition
	if e.ID == "" {
		add("edition.id is required")
	}
	if e.Categories == 0 {
		e.Categories = SeededCategories
	}
	if e.Categories != SeededCategories {
		add("edition.categories is %d; the seeded edition has the %d WSIS categories", e.Categories, SeededCategories)
	}
	if e.NomineesPerCategory <= 0 {
		add("edition.nominees_per_category must be positive")
	}
	if s.Voters <= 0 {
		add("voters must be positive")
	}
	switch s.Popularity.Law {
	case "", "zipf":
		s.Popularity.Law = "zipf"
	default:
		add("popularity.law %q is not known; want zipf", s.Popularity.Law)
	}
	if x := s.Popularity.Exponent; x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		add("popularity.exponent %v must be a positive number", x)
	} else if x == 0 {
		s.Popularity.Exponent = 1
	}
	if s.Window < 0 {
		add("window must not be negative")
	} else if s.Window == 0 {
		s.Window = 1000
	}
	p = append(p, s.Arrival.validate()...)
	p = append(p, s.Clients.validate()...)
	labels := map[string]bool{}
	share := 0.0
	for i := range s.Attacks {
		a := &s.Attacks[i]
		p = append(p, a.validate(i)...)
		if a.Label != "" && labels[a.Label] {
			add("attacks[%d].label %q is used twice; labels tell attacks apart", i, a.Label)
		}
		labels[a.Label] = true
		share += a.Share
	}
	if share >= 1 {
		add("attack shares add up to %v; they must leave room for legitimate traffic", share)
	}
	p = append(p, s.Jury.validate()...)
	if s.TargetSeconds < 0 {
		add("target_seconds must not be negative")
	}
	for _, kv := range s.PrizesEnv {
		if !strings.HasPrefix(kv, "PRIZES_") || !strings.Contains(kv, "=") {
			add("prizes_env %q is not PRIZES_NAME=value", kv)
		}
	}
	if len(p) > 0 {
		return p
	}
	return nil
}

// Clients are the addresses votes come from. The generator sends each as
// X-Forwarded-For, as a reverse proxy would, so the server must trust the
// generator's own address as a proxy (PRIZES_TRUSTED_PROXIES).
type Clients struct {
	// Networks are the CIDR ranges addresses are drawn from.
	Networks []string `json:"networks"`
	// Addresses is how many distinct addresses the voters share; a voter
	// keeps one address for all its votes.
	Addresses int `json:"addresses"`

	prefixes []netip.Prefix
}

func (c *Clients) validate() Problems {
	var p Problems
	if len(c.Networks) == 0 {
		c.Networks = []string{"10.0.0.0/8"}
	}
	c.prefixes = c.prefixes[:0]
	for i, n := range c.Networks {
		pf, err := netip.ParsePrefix(n)
		if err != nil || !pf.Addr().Is4() {
			p = append(p, fmt.Sprintf("clients.networks[%d] %q is not an IPv4 CIDR range", i, n))
			continue
		}
		c.prefixes = append(c.prefixes, pf.Masked())
	}
	if c.Addresses < 0 {
		p = append(p, "clients.addresses must not be negative")
	} else if c.Addresses == 0 {
		c.Addresses = 1
	}
	return p
}

// Addr returns the address of client n (0 <= n < Addresses), spread over
// the networks in turn: a deterministic function of n, so a voter's address
// can be recomputed later to check fraud scoring against it.
func (c *Clients) Addr(n uint64) netip.Addr {
	if len(c.prefixes) == 0 {
		return netip.AddrFrom4([4]byte{10, 0, 0, 1})
	}
	pf := c.prefixes[n%uint64(len(c.prefixes))]
	size := uint64(1) << (32 - pf.Bits())
	// Skipping the network and broadcast addresses keeps every address one
	// a host could have.
	host := (mix(n)%max(size-2, 1) + 1) % size
	b := pf.Addr().As4()
	v := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	v += host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Jury is the simulated jury after voting.
type Jury struct {
	// Jurors is the number of juror accounts.
	Jurors int `json:"jurors"`
	// PerCategory is how many jurors are assigned to each category.
	PerCategory int `json:"per_category"`
	// Conflicts is how many (juror, Champion) pairs declare a conflict of
	// interest instead of scoring.
	Conflicts int `json:"conflicts"`
}

func (j *Jury) validate() Problems {
	var p Problems
	if j.Jurors <= 0 {
		p = append(p, "jury.jurors must be positive")
	}
	if j.PerCategory <= 0 || j.PerCategory > j.Jurors {
		p = append(p, fmt.Sprintf("jury.per_category %d must be between 1 and jury.jurors", j.PerCategory))
	}
	if j.Conflicts < 0 {
		p = append(p, "jury.conflicts must not be negative")
	}
	return p
}

// Panel returns the jurors (indexes from 0) assigned to category c: a
// rotation, so that every juror sits on about as many panels.
func (j *Jury) Panel(c int) []int {
	out := make([]int, j.PerCategory)
	for k := range out {
		out[k] = (c*j.PerCategory + k) % j.Jurors
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// mix is the SplitMix64 finaliser: it spreads consecutive numbers over the
// whole range.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
