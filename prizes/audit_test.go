package prizes_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes"
)

// chain builds an audit chain of n entries.
func chain(tb testing.TB, n int) ([]prizes.AuditEntry, prizes.AuditHead) {
	tb.Helper()
	head := prizes.GenesisHead("e")
	var out []prizes.AuditEntry
	for i := 0; i < n; i++ {
		e, err := prizes.NewAuditEntry("e", head, t0.Add(time.Duration(i)*time.Second+time.Nanosecond), prizes.Actor{ID: 7, Role: "organiser"},
			prizes.ActionReview, "review", map[string]any{"i": i, "note": "<ok>"})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, e)
		head = prizes.AuditHead{Seq: e.Seq, Hash: e.Hash}
	}
	return out, head
}

func TestVerifyAudit(t *testing.T) {
	entries, head := chain(t, 5)
	if rep := prizes.VerifyAudit("e", entries, head, []prizes.AuditHead{{Seq: 3, Hash: entries[2].Hash}}); !rep.OK {
		t.Fatalf("intact chain: %+v", rep.Problems)
	}
	if entries[0].At.Nanosecond()%1000 != 0 {
		t.Fatal("entry time keeps more precision than the store does")
	}
	tests := []struct {
		name    string
		tamper  func([]prizes.AuditEntry, prizes.AuditHead) ([]prizes.AuditEntry, prizes.AuditHead)
		firstAt int64
	}{
		{"altered details", func(es []prizes.AuditEntry, h prizes.AuditHead) ([]prizes.AuditEntry, prizes.AuditHead) {
			es[2].Details = []byte(`{"i":99}`)
			return es, h
		}, 3},
		{"altered actor", func(es []prizes.AuditEntry, h prizes.AuditHead) ([]prizes.AuditEntry, prizes.AuditHead) {
			es[1].ActorID = 8
			return es, h
		}, 2},
		{"rehashed after altering", func(es []prizes.AuditEntry, h prizes.AuditHead) ([]prizes.AuditEntry, prizes.AuditHead) {
			es[1].Subject = "nothing to see"
			es[1].Hash = es[1].ComputeHash()
			return es, h
		}, 3},
		{"removed from the middle", func(es []prizes.AuditEntry, h prizes.AuditHead) ([]prizes.AuditEntry, prizes.AuditHead) {
			return append(es[:2:2], es[3:]...), h
		}, 4},
		{"removed from the end", func(es []prizes.AuditEntry, h prizes.AuditHead) ([]prizes.AuditEntry, prizes.AuditHead) {
			return es[:4], h
		}, 4},
		{"removed from the end, head moved too, results anchor it", func(es []prizes.AuditEntry, _ prizes.AuditHead) ([]prizes.AuditEntry, prizes.AuditHead) {
			return es[:3], prizes.AuditHead{Seq: 3, Hash: es[2].Hash}
		}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, h := chain(t, 5)
			anchor := prizes.AuditHead{Seq: 5, Hash: es[4].Hash}
			es, h = tt.tamper(es, h)
			rep := prizes.VerifyAudit("e", es, h, []prizes.AuditHead{anchor})
			if rep.OK || len(rep.Problems) == 0 || rep.Problems[0].Seq != tt.firstAt {
				t.Fatalf("report %+v; want the first problem at entry %d", rep, tt.firstAt)
			}
		})
	}
	// A chain cannot be passed off as another edition's.
	if rep := prizes.VerifyAudit("other", entries, head, nil); rep.OK {
		t.Fatal("an edition's chain verified as another's")
	}
	if !strings.HasPrefix(head.Hash, "sha256:") {
		t.Fatalf("head %v", head)
	}
}
