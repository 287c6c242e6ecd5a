package scenario_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/loadtest/scenario"
)

const minimal = `{
	"name": "small",
	"edition": {"id": "demo", "nominees_per_category": 20},
	"voters": 100,
	"popularity": {"law": "zipf", "exponent": 1.1, "seed": 7},
	"arrival": {"mode": "closed", "workers": 32},
	"clients": {"networks": ["10.0.0.0/8"], "addresses": 50},
	"attacks": [{"kind": "duplicate", "share": 0.01, "label": "replayed"}],
	"jury": {"jurors": 6, "per_category": 3, "conflicts": 2}
}`

func TestParse(t *testing.T) {
	s, err := scenario.Parse(strings.NewReader(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if s.Edition.Categories != scenario.SeededCategories || s.Window != 1000 || s.Votes() != 1800 {
		t.Fatalf("defaults: categories %d, window %d, votes %d; want 18, 1000, 1800", s.Edition.Categories, s.Window, s.Votes())
	}
	if len(s.Attacks) != 1 || s.Attacks[0].Label != "replayed" {
		t.Fatalf("attacks %+v", s.Attacks)
	}
}

func TestParse_invalid(t *testing.T) {
	cases := []struct {
		name, from, to, want string
	}{
		{"unknown field", `"voters": 100`, `"voters": 100, "votrs": 3`, "unknown field"},
		{"no voters", `"voters": 100`, `"voters": 0`, "voters must be positive"},
		{"categories", `"nominees_per_category": 20`, `"nominees_per_category": 20, "categories": 12`, "edition.categories"},
		{"law", `"law": "zipf"`, `"law": "uniformish"`, "popularity.law"},
		{"mode", `"mode": "closed"`, `"mode": "bursty"`, "arrival.mode"},
		{"closed with phases", `"workers": 32`, `"workers": 32, "phases": [{"kind": "constant", "rate": 5, "seconds": 1}]`, "arrival.phases are for an open loop"},
		{"network", `"10.0.0.0/8"`, `"10.0.0.0/33"`, "clients.networks[0]"},
		{"unknown attack", `"kind": "duplicate"`, `"kind": "captcha_farm"`, `attacks[0].kind "captcha_farm"`},
		{"unlabelled attack", `"label": "replayed"`, `"label": ""`, "attacks[0].label is required"},
		{"attack share", `"share": 0.01`, `"share": 1.5`, "attacks[0].share"},
		{"panel", `"per_category": 3`, `"per_category": 9`, "jury.per_category"},
		{"prizes env", `"voters": 100`, `"voters": 100, "prizes_env": ["LIMIT=off"]`, "prizes_env"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(minimal, c.from, c.to, 1)
			if doc == minimal {
				t.Fatalf("the case does not change the document")
			}
			_, err := scenario.Parse(strings.NewReader(doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want one containing %q", err, c.want)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		doc := strings.Replace(strings.Replace(minimal, `"voters": 100`, `"voters": -1`, 1), `"jurors": 6`, `"jurors": 0`, 1)
		_, err := scenario.Parse(strings.NewReader(doc))
		var p scenario.Problems
		if !errors.As(err, &p) || len(p) < 2 {
			t.Fatalf("error %v; want Problems listing voters and jury", err)
		}
	})
}

func TestLoad_shipped(t *testing.T) {
	s, err := scenario.Load("../scenarios/wsis2021.json")
	if err != nil {
		t.Fatal(err)
	}
	// The WSIS Prizes 2021 figures: 360 nominees in 18 categories, about
	// 1.3 million votes.
	if n := s.Edition.Categories * s.Edition.NomineesPerCategory; n != 360 {
		t.Fatalf("%d nominees; want 360", n)
	}
	if v := s.Votes(); v < 1_290_000 || v > 1_310_000 {
		t.Fatalf("%d votes; want about 1.3 million", v)
	}
}

func TestArrival_Schedule(t *testing.T) {
	cases := []struct {
		name   string
		phases []scenario.Phase
		want   []int64
	}{
		{"constant", []scenario.Phase{{Kind: "constant", Rate: 100, Seconds: 3}}, []int64{100, 100, 100}},
		{"fractional rate loses nothing", []scenario.Phase{{Kind: "constant", Rate: 2.5, Seconds: 4}}, []int64{2, 3, 2, 3}},
		// The integral of a ramp from 0 to 100 over 5 s is 10 t², so the
		// seconds get 10, 30, 50, 70 and 90.
		{"ramp", []scenario.Phase{{Kind: "ramp", From: 0, To: 100, Seconds: 5}}, []int64{10, 30, 50, 70, 90}},
		{"ramp down", []scenario.Phase{{Kind: "ramp", From: 100, To: 0, Seconds: 5}}, []int64{90, 70, 50, 30, 10}},
		{"spike", []scenario.Phase{{Kind: "spike", Rate: 10, Peak: 1000, At: 2, Width: 2, Seconds: 6}}, []int64{10, 10, 1000, 1000, 10, 10}},
		{"phases in turn", []scenario.Phase{
			{Kind: "constant", Rate: 5, Seconds: 2},
			{Kind: "spike", Rate: 5, Peak: 50, At: 0, Width: 1, Seconds: 2},
		}, []int64{5, 5, 50, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := scenario.Arrival{Mode: "open", Phases: c.phases}
			if got := a.Schedule(); !slices.Equal(got, c.want) {
				t.Fatalf("schedule %v; want %v", got, c.want)
			}
		})
	}
}

func TestClients_Addr(t *testing.T) {
	s, err := scenario.Parse(strings.NewReader(strings.Replace(minimal, `["10.0.0.0/8"]`, `["10.0.0.0/8", "172.16.0.0/12"]`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	nets := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12")}
	seen := map[netip.Addr]bool{}
	for n := uint64(0); n < 50; n++ {
		a := s.Clients.Addr(n)
		if !nets[0].Contains(a) && !nets[1].Contains(a) {
			t.Fatalf("address %d is %s, outside the networks", n, a)
		}
		if a != s.Clients.Addr(n) {
			t.Fatalf("address %d is not deterministic", n)
		}
		seen[a] = true
	}
	if len(seen) < 45 {
		t.Fatalf("50 clients share %d addresses; want them spread", len(seen))
	}
}

func TestJury_Panel(t *testing.T) {
	j := scenario.Jury{Jurors: 6, PerCategory: 3}
	load := map[int]int{}
	for c := 0; c < 18; c++ {
		p := j.Panel(c)
		if len(p) != 3 {
			t.Fatalf("category %d has panel %v; want 3 jurors", c, p)
		}
		for _, k := range p {
			load[k]++
		}
	}
	for k := 0; k < 6; k++ {
		if load[k] != 9 {
			t.Fatalf("juror %d sits on %d panels; want 9 each, %v", k, load[k], load)
		}
	}
}

func TestLoad_powSmoke(t *testing.T) {
	s, err := scenario.Load("../scenarios/pow-smoke.json")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Edition.ProofOfWork {
		t.Error("pow-smoke does not ask for a proof of work with every vote")
	}
}
