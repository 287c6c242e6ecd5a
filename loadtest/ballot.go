package loadtest

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync/atomic"
)

// Voter is one voter the generator votes as.
type Voter struct {
	ID    int64
	Token string
}

// Project is one nominee on the ballot.
type Project struct {
	ID       string `json:"id"`
	Category string `json:"category"`
}

// Ballot is one vote to cast: a voter, a category and the project chosen in
// it.
type Ballot struct {
	Voter     *Voter
	Category  string
	ProjectID string
}

// BallotOptions tune a Ballots sequence. The zero value is usable.
type BallotOptions struct {
	// Skew is the exponent of the Zipf law that ranks the projects of a
	// category by popularity: the project of rank k (from 1) is chosen with
	// weight 1/k^Skew. Zero means 1, a typical public vote where a few
	// favourites take most votes; use a tiny positive value for nearly even
	// choices.
	Skew float64
	// Seed decides which projects are the favourites and every voter's
	// choices, so that two runs with the same seed cast the same votes.
	Seed uint64
	// Window is how many voters are voting at any time (default 1000): each
	// casts all its votes, one per category, before the voters after it
	// start, as a voter does who signs in and fills a ballot. Within the
	// window consecutive votes go to different voters. A window as large as
	// the voters makes every voter's first vote come before anyone's second.
	Window int
	// Repeat starts the sequence over once every ballot was handed out,
	// for a target that records nothing and so can take any number of
	// requests (the baseline).
	Repeat bool
}

// category is one category of the ballot with its projects ranked by
// popularity and the cumulative weights that pick among them.
type category struct {
	code     string
	projects []string
	cdf      []float64
}

// Ballots is the sequence of every vote a set of voters can cast: each voter
// once in each category, in an order that spreads consecutive votes over
// voters and categories. It is deterministic, safe for concurrent use, and
// Next hands out each ballot once.
type Ballots struct {
	voters []Voter
	cats   []category
	seed   uint64
	window int64
	repeat bool
	total  int64
	next   atomic.Int64
}

// NewBallots builds the ballot sequence for voters over projects. Categories
// are taken in their order of first appearance in projects.
func NewBallots(voters []Voter, projects []Project, o BallotOptions) (*Ballots, error) {
	if len(voters) == 0 {
		return nil, errors.New("new ballots: no voters")
	}
	if len(projects) == 0 {
		return nil, errors.New("new ballots: no projects")
	}
	skew := o.Skew
	if skew == 0 {
		skew = 1
	}
	if skew < 0 || math.IsNaN(skew) || math.IsInf(skew, 0) {
		return nil, fmt.Errorf("new ballots: skew %v must be positive", o.Skew)
	}
	window := o.Window
	if window == 0 {
		window = 1000
	}
	if window < 0 {
		return nil, fmt.Errorf("new ballots: window %d must be positive", o.Window)
	}
	window = min(window, len(voters))
	index := map[string]int{}
	var cats []category
	for _, p := range projects {
		if p.ID == "" || p.Category == "" {
			return nil, fmt.Errorf("new ballots: project %q in category %q lacks an id or a category", p.ID, p.Category)
		}
		i, ok := index[p.Category]
		if !ok {
			i = len(cats)
			index[p.Category] = i
			cats = append(cats, category{code: p.Category})
		}
		cats[i].projects = append(cats[i].projects, p.ID)
	}
	for i := range cats {
		c := &cats[i]
		// Favourites are chosen by a seeded shuffle rather than the listing
		// order, so the popular projects are not always the first listed.
		rng := splitmix{state: o.Seed ^ uint64(i+1)*0x9e3779b97f4a7c15}
		for j := len(c.projects) - 1; j > 0; j-- {
			k := int(rng.next() % uint64(j+1))
			c.projects[j], c.projects[k] = c.projects[k], c.projects[j]
		}
		c.cdf = make([]float64, len(c.projects))
		sum := 0.0
		for k := range c.projects {
			sum += 1 / math.Pow(float64(k+1), skew)
			c.cdf[k] = sum
		}
		for k := range c.cdf {
			c.cdf[k] /= sum
		}
	}
	return &Ballots{
		voters: voters,
		cats:   cats,
		seed:   o.Seed,
		window: int64(window),
		repeat: o.Repeat,
		total:  int64(len(voters)) * int64(len(cats)),
	}, nil
}

// Len returns the number of ballots in the sequence: voters times categories.
func (b *Ballots) Len() int64 { return b.total }

// Categories returns the category codes in sequence order.
func (b *Ballots) Categories() []string {
	out := make([]string, len(b.cats))
	for i, c := range b.cats {
		out[i] = c.code
	}
	return out
}

// Used returns how many ballots Next has handed out.
func (b *Ballots) Used() int64 { return min(b.next.Load(), b.total) }

// Next returns the next ballot not handed out yet; ok is false once every
// ballot was, unless the sequence repeats.
func (b *Ballots) Next() (Ballot, bool) {
	i := b.next.Add(1) - 1
	if i >= b.total {
		if !b.repeat {
			return Ballot{}, false
		}
		i %= b.total
	}
	return b.At(i), true
}

// At returns ballot i of the sequence, 0 <= i < Len. The voters are taken in
// windows; within a window of w voters, round r gives the window's voter v
// the category (r+v) mod C, so each voter gets each category exactly once
// over C rounds and consecutive ballots go to different voters.
func (b *Ballots) At(i int64) Ballot {
	nv, nc := int64(len(b.voters)), int64(len(b.cats))
	first := i / (b.window * nc) * b.window
	w := min(b.window, nv-first)
	j := i - first*nc
	v := first + j%w
	c := int((j/w + v) % nc)
	cat := &b.cats[c]
	voter := &b.voters[v]
	h := splitmix{state: b.seed ^ uint64(voter.ID)*0xbf58476d1ce4e5b9 ^ uint64(c+1)*0x94d049bb133111eb}
	u := float64(h.next()>>11) / (1 << 53)
	k := sort.SearchFloat64s(cat.cdf, u)
	k = min(k, len(cat.projects)-1)
	return Ballot{Voter: voter, Category: cat.code, ProjectID: cat.projects[k]}
}

// splitmix is the SplitMix64 generator: tiny, fast and good enough to pick
// ballots, and it lets a choice be recomputed from its seed alone.
type splitmix struct{ state uint64 }

func (s *splitmix) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
