package scenario

import (
	"fmt"
	"math"
)

// Arrival is when votes arrive. A closed loop sends as fast as the server
// answers, with Workers connections, each sending its next vote as soon as
// the previous one is answered: the highest sustainable rate. An open loop
// sends at the rates of its Phases, one after the other, whatever the
// server does, and ends when they end or the ballots run out.
type Arrival struct {
	// Mode is "closed" or "open".
	Mode string `json:"mode"`
	// Workers is the number of connections (closed) or the most requests
	// in flight (open).
	Workers int     `json:"workers"`
	Phases  []Phase `json:"phases,omitempty"`
}

// Phase is one stretch of an open-loop arrival profile.
type Phase struct {
	// Kind is "constant" (Rate), "ramp" (From to To, linearly) or "spike"
	// (Rate, with Peak for Width seconds starting At seconds in).
	Kind    string  `json:"kind"`
	Seconds int     `json:"seconds"`
	Rate    float64 `json:"rate,omitempty"`
	From    float64 `json:"from,omitempty"`
	To      float64 `json:"to,omitempty"`
	Peak    float64 `json:"peak,omitempty"`
	At      int     `json:"at,omitempty"`
	Width   int     `json:"width,omitempty"`
}

// Closed reports whether the arrival is a closed loop.
func (a *Arrival) Closed() bool { return a.Mode == "closed" }

func (a *Arrival) validate() Problems {
	var p Problems
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	switch a.Mode {
	case "":
		a.Mode = "closed"
	case "closed", "open":
	default:
		add("arrival.mode %q is not known; want closed or open", a.Mode)
	}
	if a.Workers < 0 {
		add("arrival.workers must not be negative")
	} else if a.Workers == 0 {
		a.Workers = 256
	}
	if a.Mode == "closed" && len(a.Phases) > 0 {
		add("arrival.phases are for an open loop; a closed loop sends as fast as it is answered")
	}
	if a.Mode == "open" && len(a.Phases) == 0 {
		add("arrival.phases: an open loop needs at least one phase")
	}
	for i, ph := range a.Phases {
		bad := func(x float64) bool { return x < 0 || math.IsNaN(x) || math.IsInf(x, 0) }
		if ph.Seconds <= 0 {
			add("arrival.phases[%d].seconds must be positive", i)
		}
		switch ph.Kind {
		case "constant":
			if bad(ph.Rate) || ph.Rate == 0 {
				add("arrival.phases[%d].rate must be positive", i)
			}
		case "ramp":
			if bad(ph.From) || bad(ph.To) || ph.From+ph.To == 0 {
				add("arrival.phases[%d]: a ramp needs from and to, not both zero", i)
			}
		case "spike":
			if bad(ph.Rate) || bad(ph.Peak) || ph.Peak <= ph.Rate {
				add("arrival.phases[%d]: a spike needs a peak above its rate", i)
			}
			if ph.Width <= 0 || ph.At < 0 || ph.At+ph.Width > ph.Seconds {
				add("arrival.phases[%d]: the spike (at %d, width %d) must lie within its %d seconds", i, ph.At, ph.Width, ph.Seconds)
			}
		default:
			add("arrival.phases[%d].kind %q is not known; want constant, ramp or spike", i, ph.Kind)
		}
	}
	return p
}

// Schedule returns how many requests an open loop sends in each second of
// its profile. Counts come from the integral of the rate, rounded down at
// each second's end, so a fractional rate loses nothing over time and the
// counts add up to the profile's whole volume.
func (a *Arrival) Schedule() []int64 {
	var out []int64
	for _, ph := range a.Phases {
		cum := func(t float64) float64 { return ph.volume(t) }
		for s := 0; s < ph.Seconds; s++ {
			out = append(out, int64(math.Floor(cum(float64(s+1))+1e-9))-int64(math.Floor(cum(float64(s))+1e-9)))
		}
	}
	return out
}

// volume is the number of requests the phase sends in its first t seconds.
func (ph Phase) volume(t float64) float64 {
	switch ph.Kind {
	case "constant":
		return ph.Rate * t
	case "ramp":
		n := float64(ph.Seconds)
		return ph.From*t + (ph.To-ph.From)*t*t/(2*n)
	case "spike":
		in := math.Min(math.Max(t-float64(ph.At), 0), float64(ph.Width))
		return ph.Rate*t + (ph.Peak-ph.Rate)*in
	}
	return 0
}
