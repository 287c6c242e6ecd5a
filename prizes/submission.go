package prizes

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/wsisvote/prizes/voting"
)

// Status is where an entry stands. The values are those of projects.status.
type Status string

// The statuses of an entry.
const (
	StatusDraft     Status = "draft"
	StatusSubmitted Status = "submitted"
	StatusNominated Status = "nominated"
	StatusRejected  Status = "rejected"
	StatusWithdrawn Status = "withdrawn"
	StatusChampion  Status = "champion"
	StatusWinner    Status = "winner"
)

// StakeholderTypes are the kinds of organisation that may enter, as in the
// WSIS Prizes form.
func StakeholderTypes() []string {
	return []string{"government", "private_sector", "civil_society", "academia", "international_organization", "other"}
}

// Limits of an entry.
const (
	SummaryMinWords = 150
	SummaryMaxWords = 200
	MaxTitle        = 200
	MaxOrganisation = 200
	MaxSummaryBytes = 8 << 10
	MaxLinks        = 5
	MaxLink         = 2048
)

// Entry is what a project owner writes. A draft may be incomplete; a
// submitted entry must pass every check.
type Entry struct {
	Category     string   `json:"category"`
	Title        string   `json:"title"`
	Summary      string   `json:"summary"`
	Organisation string   `json:"organisation"`
	Country      string   `json:"country"`
	Stakeholder  string   `json:"stakeholder_type"`
	Links        []string `json:"links"`
}

// Normalised returns e with surrounding blanks trimmed and the country in
// upper case, which is how it is stored.
func (e Entry) Normalised() Entry {
	e.Category = strings.TrimSpace(e.Category)
	e.Title = strings.TrimSpace(e.Title)
	e.Summary = strings.TrimSpace(e.Summary)
	e.Organisation = strings.TrimSpace(e.Organisation)
	e.Country = strings.ToUpper(strings.TrimSpace(e.Country))
	e.Stakeholder = strings.TrimSpace(e.Stakeholder)
	links := make([]string, 0, len(e.Links))
	for _, l := range e.Links {
		if l = strings.TrimSpace(l); l != "" {
			links = append(links, l)
		}
	}
	e.Links = links
	return e
}

// Check validates a normalised entry against ed's categories. A draft is
// checked for form only (what is there must be well formed, and the category
// must exist); a complete entry must also have every field and a summary of
// SummaryMinWords to SummaryMaxWords words. It returns FieldErrors or nil.
func (e Entry) Check(ed Edition, complete bool) error {
	f := FieldErrors{}
	if e.Category == "" {
		f["category"] = "is required"
	} else if _, ok := ed.Category(e.Category); !ok {
		f["category"] = fmt.Sprintf("edition %s has no category %q", ed.ID, e.Category)
	}
	text := func(field, v string, max int) {
		switch n := len([]rune(v)); {
		case n == 0 && complete:
			f[field] = "is required"
		case n > max:
			f[field] = fmt.Sprintf("must be at most %d characters; it has %d", max, n)
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			f[field] = "must not contain control characters"
		}
	}
	text("title", e.Title, MaxTitle)
	text("organisation", e.Organisation, MaxOrganisation)
	words := len(strings.Fields(e.Summary))
	switch {
	case len(e.Summary) > MaxSummaryBytes:
		f["summary"] = fmt.Sprintf("must be at most %d bytes", MaxSummaryBytes)
	case complete && (words < SummaryMinWords || words > SummaryMaxWords):
		f["summary"] = fmt.Sprintf("must be %d to %d words; it has %d", SummaryMinWords, SummaryMaxWords, words)
	}
	switch {
	case e.Country == "" && complete:
		f["country"] = "is required"
	case e.Country != "" && !ValidCountry(e.Country):
		f["country"] = "must be an ISO 3166-1 alpha-2 code such as KE or BR"
	}
	switch {
	case e.Stakeholder == "" && complete:
		f["stakeholder_type"] = "is required"
	case e.Stakeholder != "" && !validStakeholder(e.Stakeholder):
		f["stakeholder_type"] = "must be one of " + strings.Join(StakeholderTypes(), ", ")
	}
	if len(e.Links) > MaxLinks {
		f["links"] = fmt.Sprintf("must be at most %d", MaxLinks)
	}
	for i, l := range e.Links {
		if msg := checkLink(l); msg != "" {
			f[fmt.Sprintf("links[%d]", i)] = msg
		}
	}
	return f.Err()
}

func validStakeholder(s string) bool {
	for _, t := range StakeholderTypes() {
		if s == t {
			return true
		}
	}
	return false
}

func checkLink(l string) string {
	if len(l) > MaxLink {
		return fmt.Sprintf("must be at most %d characters", MaxLink)
	}
	u, err := url.Parse(l)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "must be an http or https URL with a host"
	}
	if strings.ContainsAny(l, " \t\n") {
		return "must not contain blanks"
	}
	return ""
}

// OrganisationKey is the form of an organisation name that decides "one entry
// per organisation per category": case, spacing and punctuation aside,
// "UN Women" and "un  women." are the same organisation.
func OrganisationKey(org string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(org) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}

// Submission is an entry with its owner and where it stands.
type Submission struct {
	ID      string
	Edition string
	OwnerID int64
	Entry
	Status Status
	// Reason is why an entry was rejected.
	Reason      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SubmittedAt time.Time
}

// Editable reports whether the owner may still change the entry.
func (s Submission) Editable() bool { return s.Status == StatusDraft || s.Status == StatusSubmitted }

// ReviewDecision is an organiser's decision on one submitted entry.
type ReviewDecision struct {
	ProjectID string `json:"project_id"`
	// Decision is "nominate" or "reject".
	Decision string `json:"decision"`
	// Reason is required to reject and shown to the owner.
	Reason string `json:"reason"`
}

// The review decisions.
const (
	DecisionNominate = "nominate"
	DecisionReject   = "reject"
)

// CheckDecisions validates a batch of decisions: each names a project once,
// says nominate or reject, and a rejection has a reason.
func CheckDecisions(ds []ReviewDecision) error {
	f := FieldErrors{}
	if len(ds) == 0 {
		f["decisions"] = "must list at least one decision"
	}
	if len(ds) > 1000 {
		f["decisions"] = "must list at most 1000 decisions"
	}
	seen := map[string]bool{}
	for i, d := range ds {
		key := fmt.Sprintf("decisions[%d]", i)
		switch {
		case d.ProjectID == "":
			f[key+".project_id"] = "is required"
		case seen[d.ProjectID]:
			f[key+".project_id"] = "is listed twice"
		}
		seen[d.ProjectID] = true
		switch d.Decision {
		case DecisionNominate:
		case DecisionReject:
			if strings.TrimSpace(d.Reason) == "" {
				f[key+".reason"] = "is required to reject"
			}
		default:
			f[key+".decision"] = `must be "nominate" or "reject"`
		}
		if len(d.Reason) > 2000 {
			f[key+".reason"] = "must be at most 2000 characters"
		}
	}
	return f.Err()
}

// ReviewQueue is one category's entries awaiting or past review.
type ReviewQueue struct {
	Category  string
	Cap       int
	Nominated int
	Entries   []Submission
}

// CheckCategory returns voting.ErrUnknownCategory, wrapped, when ed has no category
// with the given code.
func CheckCategory(ed Edition, code string) error {
	if _, ok := ed.Category(code); !ok {
		return fmt.Errorf("edition %s, category %q: %w", ed.ID, code, voting.ErrUnknownCategory)
	}
	return nil
}
