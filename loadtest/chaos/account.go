package chaos

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Answer is what one attempt at casting a vote got back.
type Answer struct {
	// Status is the HTTP status, 0 when no answer came.
	Status int `json:"status,omitempty"`
	// Code is the error code of an answer that is not a 2xx.
	Code string `json:"code,omitempty"`
	// VoteID is the vote_id of a 2xx answer.
	VoteID string `json:"vote_id,omitempty"`
	// Err says why no answer came: a refused or broken connection, a
	// timeout.
	Err string `json:"err,omitempty"`
}

// Outcome is how the drill counts the final answer to a vote.
type Outcome int

const (
	// Acknowledged is a 202 (recorded now) or a 200 (a retry whose original
	// was recorded) with a vote_id: the vote must be in the ledger once,
	// under that id.
	Acknowledged Outcome = iota
	// Refused is an answer that says nothing was recorded: a 4xx such as
	// 409 duplicate_vote, or 503 unavailable.
	Refused
	// Unknown is an answer that does not say: no answer at all, 503
	// outcome_unknown, any other 5xx, a 2xx without a vote_id.
	Unknown
)

// Outcome returns how a is counted when it is a vote's final answer.
func (a Answer) Outcome() Outcome {
	switch {
	case (a.Status == http.StatusAccepted || a.Status == http.StatusOK) && a.VoteID != "":
		return Acknowledged
	case a.Status/100 == 4, a.Status == http.StatusServiceUnavailable && a.Code == "unavailable":
		return Refused
	default:
		return Unknown
	}
}

// Retry reports whether a vote that got a should be sent again: it got no
// answer, or a 503, which asks for a retry whatever its code.
func (a Answer) Retry() bool {
	return a.Status == 0 || a.Status == http.StatusServiceUnavailable
}

// Label names a for the report: the status and the error code, or "no
// answer".
func (a Answer) Label() string {
	switch {
	case a.Status == 0:
		return "no answer"
	case a.Code != "":
		return fmt.Sprintf("%d %s", a.Status, a.Code)
	default:
		return fmt.Sprint(a.Status)
	}
}

// Vote is one ballot the generator cast and every answer it got, in order;
// the last is the final one.
type Vote struct {
	VoterID   int64    `json:"voter_id"`
	Category  string   `json:"category"`
	ProjectID string   `json:"project_id"`
	Answers   []Answer `json:"answers"`
}

// Final returns the vote's last answer.
func (v Vote) Final() Answer {
	if len(v.Answers) == 0 {
		return Answer{Err: "never sent"}
	}
	return v.Answers[len(v.Answers)-1]
}

// Row is one vote in the ledger.
type Row struct {
	ID       string
	VoterID  int64
	Category string
}

// ballot is what identifies a vote whatever its id: each voter casts one
// ballot per category.
type ballot struct {
	voter    int64
	category string
}

// Tally is the account of a fault's votes against the ledger.
type Tally struct {
	// Sent counts ballots cast, each once however often it was retried.
	Sent int64 `json:"sent"`
	// Attempts counts requests, retries included.
	Attempts int64 `json:"attempts"`
	// Retried counts ballots sent more than once.
	Retried int64 `json:"retried"`
	// Acknowledged, Refused and Unknown count ballots by their final
	// answer's Outcome.
	Acknowledged int64 `json:"acknowledged"`
	Refused      int64 `json:"refused"`
	Unknown      int64 `json:"unknown"`
	// InLedger counts the ledger's rows for the ballots sent.
	InLedger int64 `json:"in_ledger"`
	// Missing counts acknowledged vote ids that are not in the ledger.
	Missing int64 `json:"missing"`
	// Duplicated counts ballots with more than one row in the ledger.
	Duplicated int64 `json:"duplicated"`
	// Unacknowledged counts rows for ballots sent whose id no answer
	// acknowledged: votes recorded whose answer was lost or refused.
	Unacknowledged int64 `json:"unacknowledged"`
	// MissingIDs lists up to ten of the missing vote ids.
	MissingIDs []string `json:"missing_ids,omitempty"`
	// Finals counts ballots by their final answer's Label; Every counts
	// every attempt's answer.
	Finals map[string]int64 `json:"finals"`
	Every  map[string]int64 `json:"every"`
}

// Account counts votes by their answers and compares them with rows, the
// ledger's votes for those ballots and any others: rows for ballots not
// among votes are left out.
func Account(votes []Vote, rows []Row) Tally {
	t := Tally{Finals: map[string]int64{}, Every: map[string]int64{}}
	sent := make(map[ballot]bool, len(votes))
	acked := map[string]bool{}
	for _, v := range votes {
		sent[ballot{v.VoterID, v.Category}] = true
		t.Sent++
		t.Attempts += int64(len(v.Answers))
		if len(v.Answers) > 1 {
			t.Retried++
		}
		for _, a := range v.Answers {
			t.Every[a.Label()]++
		}
		final := v.Final()
		t.Finals[final.Label()]++
		switch final.Outcome() {
		case Acknowledged:
			t.Acknowledged++
			acked[strings.ToLower(final.VoteID)] = true
		case Refused:
			t.Refused++
		default:
			t.Unknown++
		}
	}
	inLedger := map[string]bool{}
	perBallot := map[ballot]int{}
	for _, r := range rows {
		b := ballot{r.VoterID, r.Category}
		if !sent[b] {
			continue
		}
		id := strings.ToLower(r.ID)
		t.InLedger++
		inLedger[id] = true
		if perBallot[b]++; perBallot[b] == 2 {
			t.Duplicated++
		}
		if !acked[id] {
			t.Unacknowledged++
		}
	}
	for id := range acked {
		if !inLedger[id] {
			t.Missing++
			t.MissingIDs = append(t.MissingIDs, id)
		}
	}
	slices.Sort(t.MissingIDs)
	if len(t.MissingIDs) > 10 {
		t.MissingIDs = t.MissingIDs[:10]
	}
	return t
}
