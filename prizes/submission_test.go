package prizes_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

func TestEntry_Check(t *testing.T) {
	ed := prizes.Edition{ID: "e", Categories: []voting.Category{{Code: "C1", Name: "One"}}}
	good := prizes.Entry{
		Category: "C1", Title: "Telemedicine Bridge", Summary: strings.Repeat("word ", 170), Organisation: "Health Org",
		Country: "ke", Stakeholder: "government", Links: []string{"https://example.org/a", " "},
	}.Normalised()
	if good.Country != "KE" || len(good.Links) != 1 {
		t.Fatalf("normalised %+v", good)
	}
	if err := good.Check(ed, true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		mutate   func(*prizes.Entry)
		complete bool
		fields   []string
	}{
		{"draft may be empty but for its category", func(e *prizes.Entry) { *e = prizes.Entry{Category: "C1"} }, false, nil},
		{"complete needs every field", func(e *prizes.Entry) { *e = prizes.Entry{Category: "C1"} }, true,
			[]string{"country", "organisation", "stakeholder_type", "summary", "title"}},
		{"unknown category", func(e *prizes.Entry) { e.Category = "C9" }, false, []string{"category"}},
		{"short summary", func(e *prizes.Entry) { e.Summary = strings.Repeat("w ", 149) }, true, []string{"summary"}},
		{"long summary", func(e *prizes.Entry) { e.Summary = strings.Repeat("w ", 201) }, true, []string{"summary"}},
		{"short summary in a draft", func(e *prizes.Entry) { e.Summary = "w" }, false, nil},
		{"country", func(e *prizes.Entry) { e.Country = "XK" }, false, []string{"country"}},
		{"stakeholder", func(e *prizes.Entry) { e.Stakeholder = "alien" }, false, []string{"stakeholder_type"}},
		{"links", func(e *prizes.Entry) {
			e.Links = []string{"javascript:alert(1)", "https://", "http://user:pw@example.org", "https://ok.example/x"}
		}, false, []string{"links[0]", "links[1]", "links[2]"}},
		{"too many links", func(e *prizes.Entry) { e.Links = strings.Fields(strings.Repeat("https://a.example ", 6)) }, false, []string{"links"}},
		{"long title", func(e *prizes.Entry) { e.Title = strings.Repeat("t", 201) }, false, []string{"title"}},
		{"control characters", func(e *prizes.Entry) { e.Organisation = "Org\x00" }, false, []string{"organisation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := good
			tt.mutate(&e)
			err := e.Check(ed, tt.complete)
			var fe prizes.FieldErrors
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Check = %v; want nil", err)
				}
				return
			}
			if !errors.As(err, &fe) || !errors.Is(err, kind.ErrInvalid) {
				t.Fatalf("Check = %v; want FieldErrors", err)
			}
			var got []string
			for k := range fe {
				got = append(got, k)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields %v; want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestOrganisationKey(t *testing.T) {
	for _, s := range []string{"UN Women", "  un  women. ", "UN-WOMEN", "un_women"} {
		if got := prizes.OrganisationKey(s); got != "un women" {
			t.Errorf("OrganisationKey(%q) = %q", s, got)
		}
	}
	if prizes.OrganisationKey("Café Müller") != "café müller" {
		t.Error("letters outside ASCII are dropped")
	}
}

func TestValidCountry(t *testing.T) {
	codes := prizes.CountryCodes()
	if len(codes) != 249 || !sort.StringsAreSorted(codes) {
		t.Fatalf("%d codes, sorted %v; want the 249 assigned codes in order", len(codes), sort.StringsAreSorted(codes))
	}
	for _, c := range codes {
		if !prizes.ValidCountry(c) {
			t.Errorf("%s refused", c)
		}
	}
	for _, c := range []string{"", "K", "ke", "XK", "UK", "EU", "AD ", "D "} {
		if prizes.ValidCountry(c) {
			t.Errorf("%q accepted", c)
		}
	}
}

func TestCheckDecisions(t *testing.T) {
	ok := []prizes.ReviewDecision{{ProjectID: "a", Decision: "nominate"}, {ProjectID: "b", Decision: "reject", Reason: "late"}}
	if err := prizes.CheckDecisions(ok); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]prizes.ReviewDecision{
		nil,
		{{ProjectID: "a", Decision: "reject"}},
		{{ProjectID: "a", Decision: "maybe"}},
		{{ProjectID: "a", Decision: "nominate"}, {ProjectID: "a", Decision: "nominate"}},
		{{Decision: "nominate"}},
	} {
		if err := prizes.CheckDecisions(bad); !errors.Is(err, kind.ErrInvalid) {
			t.Errorf("CheckDecisions(%+v) = %v", bad, err)
		}
	}
}

func TestSchedule(t *testing.T) {
	at := func(h int) *time.Time { v := t0.Add(time.Duration(h) * time.Hour); return &v }
	s := prizes.Schedule{
		voting.PhaseSubmission: {Start: at(0), End: at(10)},
		voting.PhaseVoting:     {Start: at(20), End: at(30)},
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		phase voting.Phase
		now   int
		due   bool
	}{
		{voting.PhaseDraft, -1, false},
		{voting.PhaseDraft, 0, true}, // the submission window opened
		{voting.PhaseSubmission, 9, false},
		{voting.PhaseSubmission, 10, true}, // its window ended
		{voting.PhaseReview, 19, false},    // review has no window; voting's start moves it
		{voting.PhaseReview, 20, true},
		{voting.PhaseVoting, 30, true},
		{voting.PhaseCounting, 99, false},
		{voting.PhasePublished, 99, false},
	}
	for _, tt := range tests {
		if got := s.Due(tt.phase, t0.Add(time.Duration(tt.now)*time.Hour)); got != tt.due {
			t.Errorf("Due(%s, +%dh) = %v", tt.phase, tt.now, got)
		}
	}
	for name, bad := range map[string]prizes.Schedule{
		"end before start": {voting.PhaseSubmission: {Start: at(5), End: at(1)}},
		"out of order":     {voting.PhaseSubmission: {Start: at(5)}, voting.PhaseVoting: {End: at(1)}},
		"draft window":     {voting.PhaseDraft: {Start: at(1)}},
		"unknown phase":    {"party": {Start: at(1)}},
	} {
		if err := bad.Check(); !errors.Is(err, kind.ErrInvalid) {
			t.Errorf("%s: Check = %v", name, err)
		}
	}
}

func TestCheckPhase(t *testing.T) {
	err := prizes.CheckPhase("e", voting.PhaseVoting, prizes.ActionReview)
	var pe *prizes.PhaseError
	if !errors.As(err, &pe) || !errors.Is(err, prizes.ErrWrongPhase) || !strings.Contains(err.Error(), "phase voting") {
		t.Fatalf("CheckPhase = %v", err)
	}
	if err := prizes.CheckPhase("e", voting.PhaseReview, prizes.ActionReview); err != nil {
		t.Fatal(err)
	}
	next, ok := prizes.NextPhase(voting.PhaseJury)
	if !ok || next != voting.PhasePublished {
		t.Fatalf("NextPhase(jury) = %s", next)
	}
	if _, ok := prizes.NextPhase(voting.PhasePublished); ok {
		t.Fatal("a phase after published")
	}
}
