package prizes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Actor is who does something: an account in a role, or the system (the
// phase schedule), which has id 0.
type Actor struct {
	ID   int64
	Role string
}

// SystemActor is the actor of scheduled phase changes.
func SystemActor() Actor { return Actor{Role: "system"} }

// AuditEntry is one line of an edition's append-only audit log. Each entry
// carries the hash of the one before it, so altering or removing any entry
// breaks the chain from there on.
type AuditEntry struct {
	Edition   string          `json:"edition"`
	Seq       int64           `json:"seq"`
	At        time.Time       `json:"at"`
	ActorID   int64           `json:"actor_id"`
	ActorRole string          `json:"actor_role"`
	Action    Action          `json:"action"`
	Subject   string          `json:"subject"`
	Details   json.RawMessage `json:"details"`
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
}

// AuditHead is the last entry of a chain: its sequence number and hash.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// GenesisHead is the head of an edition's empty chain. It depends on the
// edition, so a chain cannot be moved to another edition unnoticed.
func GenesisHead(edition string) AuditHead {
	return AuditHead{Seq: 0, Hash: HashBytes([]byte("prizes audit genesis\x00" + edition))}
}

// auditTime is the stored precision of audit times (PostgreSQL keeps
// microseconds), fixed so that the hash survives a round trip.
const auditTime = "2006-01-02T15:04:05.000000Z"

// ComputeHash returns the hash of e's content and its link to the previous
// entry: every field but Hash.
func (e AuditEntry) ComputeHash() string {
	b, err := json.Marshal(struct {
		Edition   string          `json:"edition"`
		Seq       int64           `json:"seq"`
		At        string          `json:"at"`
		ActorID   int64           `json:"actor_id"`
		ActorRole string          `json:"actor_role"`
		Action    Action          `json:"action"`
		Subject   string          `json:"subject"`
		Details   json.RawMessage `json:"details"`
		PrevHash  string          `json:"prev_hash"`
	}{e.Edition, e.Seq, e.At.UTC().Format(auditTime), e.ActorID, e.ActorRole, e.Action, e.Subject, e.Details, e.PrevHash})
	if err != nil {
		// Details that are not valid JSON cannot be hashed canonically;
		// hashing their bytes instead still detects any change to them.
		return HashBytes(append([]byte(e.PrevHash+"\x00"+e.Subject+"\x00"), e.Details...))
	}
	return HashBytes(b)
}

// NewAuditEntry returns the entry that follows head: what actor did, on
// subject, with details (any JSON-encodable value). Its time is cut to the
// stored precision.
func NewAuditEntry(edition string, head AuditHead, at time.Time, actor Actor, action Action, subject string, details any) (AuditEntry, error) {
	raw, err := json.Marshal(details)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("audit %s: encode details: %w", action, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return AuditEntry{}, fmt.Errorf("audit %s: compact details: %w", action, err)
	}
	e := AuditEntry{
		Edition: edition, Seq: head.Seq + 1, At: at.UTC().Truncate(time.Microsecond),
		ActorID: actor.ID, ActorRole: actor.Role, Action: action, Subject: subject,
		Details: compact.Bytes(), PrevHash: head.Hash,
	}
	e.Hash = e.ComputeHash()
	return e, nil
}

// AuditProblem is one break found in a chain.
type AuditProblem struct {
	Seq     int64  `json:"seq"`
	Problem string `json:"problem"`
}

// AuditReport is the outcome of checking an edition's chain.
type AuditReport struct {
	Edition  string         `json:"edition"`
	Entries  int            `json:"entries"`
	Head     AuditHead      `json:"head"`
	OK       bool           `json:"ok"`
	Problems []AuditProblem `json:"problems"`
}

// VerifyAudit checks an edition's entries, in stored order: numbered 1, 2, ...
// without gaps, each linked to the previous hash, each hash matching its
// content. The recorded head (kept apart from the log) must be the last entry,
// which catches entries removed from the end; every anchor (an audit head
// signed into published results) must be a link of the chain.
func VerifyAudit(edition string, entries []AuditEntry, head AuditHead, anchors []AuditHead) AuditReport {
	rep := AuditReport{Edition: edition, Entries: len(entries), Head: head, Problems: []AuditProblem{}}
	add := func(seq int64, format string, args ...any) {
		rep.Problems = append(rep.Problems, AuditProblem{Seq: seq, Problem: fmt.Sprintf(format, args...)})
	}
	prev := GenesisHead(edition)
	seen := map[int64]string{0: prev.Hash}
	for _, e := range entries {
		if e.Edition != edition {
			add(e.Seq, "belongs to edition %q", e.Edition)
		}
		if e.Seq != prev.Seq+1 {
			add(e.Seq, "follows entry %d: entries %d to %d are missing", prev.Seq, prev.Seq+1, e.Seq-1)
		}
		if e.PrevHash != prev.Hash {
			add(e.Seq, "does not link to the entry before it (an entry was altered or removed)")
		}
		if got := e.ComputeHash(); got != e.Hash {
			add(e.Seq, "content does not match its hash (the entry was altered)")
		}
		prev = AuditHead{Seq: e.Seq, Hash: e.Hash}
		seen[e.Seq] = e.Hash
	}
	if head != prev {
		add(prev.Seq, "the recorded head is entry %d (%s) but the log ends at entry %d (%s): entries were removed or added",
			head.Seq, head.Hash, prev.Seq, prev.Hash)
	}
	for _, a := range anchors {
		if seen[a.Seq] != a.Hash {
			add(a.Seq, "published results were signed with this entry as the head of the log (%s), and the log no longer has it", a.Hash)
		}
	}
	rep.OK = len(rep.Problems) == 0
	return rep
}
