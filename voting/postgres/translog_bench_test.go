package postgres_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/transparency/verify"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
)

// BenchmarkLog measures the transparency log's costs at the volume in
// PRIZES_BENCH_VOTES (20,000 by default; 1,296,000 is WSIS 2021): the
// ledger inserts in flusher-sized batches of 2,000 with the log off and
// on, then, on the logged ledger, building both trees from the ledger in
// leaf order, writing the ledger file, and checking the file offline.
// Each figure is reported per vote or in seconds; run it once:
//
//	PRIZES_BENCH_VOTES=1296000 go test -run '^$' -bench BenchmarkLog -benchtime 1x ./voting/postgres/
func BenchmarkLog(b *testing.B) {
	n := 20000
	if v := os.Getenv("PRIZES_BENCH_VOTES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		var logged *postgres.Store
		for _, on := range []bool{false, true} {
			s, _, projects := seeded(b)
			s.SetLog(on)
			start := time.Now()
			insertVotes(b, s, projects, n)
			name := "insert_log_off_us/vote"
			if on {
				name = "insert_log_on_us/vote"
				logged = s
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(n), name)
		}
		start := time.Now()
		tb := transparency.NewBuilder(nil)
		if _, err := logged.FinalVotes(ctx, "demo", tb.AddFinal); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "trees_s")
		path := filepath.Join(b.TempDir(), "ledger.jsonl")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		fb := transparency.NewBuilder(f)
		if _, err := logged.FinalVotes(ctx, "demo", fb.AddFinal); err != nil {
			b.Fatal(err)
		}
		if err := fb.Flush(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "ledger_file_s")
		st, _ := f.Stat()
		f.Close()
		b.ReportMetric(float64(st.Size())/float64(n), "file_bytes/vote")
		root, statusRoot := fb.Roots()
		var d verify.Document
		d.Ledger.Votes, d.Ledger.Counted = int64(n), int64(n)
		d.Transparency = &verify.Transparency{Size: uint64(n), Root: base64.StdEncoding.EncodeToString(root),
			StatusRoot: base64.StdEncoding.EncodeToString(statusRoot)}
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		rep, err := verify.Ledger(d, bytes.NewReader(raw))
		if err != nil && rep.Votes != int64(n) {
			b.Fatal(err)
		}
		// Only the counts check fails here: the document names no nominees.
		b.ReportMetric(time.Since(start).Seconds(), "verify_s")
		var index int64
		if err := logged.Pool().QueryRow(ctx, `SELECT pg_relation_size('votes_leaf')`).Scan(&index); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(index)/float64(n), "leaf_index_bytes/vote")
	}
}

// insertVotes writes n counted votes into the ledger in batches of 2,000,
// each voter voting in every category.
func insertVotes(tb testing.TB, s *postgres.Store, projects []voting.Project, n int) {
	tb.Helper()
	byCat := map[string][]voting.Project{}
	var cats []string
	for _, p := range projects {
		if byCat[p.Category] == nil {
			cats = append(cats, p.Category)
		}
		byCat[p.Category] = append(byCat[p.Category], p)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	batch := make([]voting.Vote, 0, 2000)
	for i := 0; i < n; i++ {
		voter := int64(i/len(cats)) + 1
		c := cats[i%len(cats)]
		p := byCat[c][int(voter)%len(byCat[c])]
		batch = append(batch, voting.Vote{ID: uuid.Must(uuid.NewV7()).String(), Edition: p.Edition, VoterID: voter,
			ProjectID: p.ID, Category: c, Slot: c, Status: voting.StatusCounted, CastAt: at})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.Insert(context.Background(), batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}
