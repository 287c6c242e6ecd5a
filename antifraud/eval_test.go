package antifraud_test

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/antifraud"
)

// outcome is how the analyser did on a labelled world.
type outcome struct {
	byLabel       map[string]*labelOutcome
	attackVotes   int
	attackFlagged int
	honestVotes   int
	honestFlagged int
	// wrongChampions lists the categories whose top five by votes left
	// counted differ from the top five by honest votes.
	wrongChampions []string
}

type labelOutcome struct {
	honest         bool
	votes, flagged int
}

func (o outcome) recall() float64 {
	if o.attackVotes == 0 {
		return 1
	}
	return float64(o.attackFlagged) / float64(o.attackVotes)
}

func (o outcome) honestRate() float64 {
	return float64(o.honestFlagged) / float64(max(o.honestVotes, 1))
}

func (o outcome) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "recall %.4f (%d/%d), honest flagged %.4f%% (%d/%d), champions wrong in %v\n",
		o.recall(), o.attackFlagged, o.attackVotes, 100*o.honestRate(), o.honestFlagged, o.honestVotes, o.wrongChampions)
	var labels []string
	for l := range o.byLabel {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		lo := o.byLabel[l]
		fmt.Fprintf(&b, "  %-12s honest=%-5v votes %7d flagged %7d (%.2f%%)\n", l, lo.honest, lo.votes, lo.flagged, 100*float64(lo.flagged)/float64(max(lo.votes, 1)))
	}
	return b.String()
}

// judge compares a report with the world's labels.
func judge(tb testing.TB, w *world, votes []antifraud.Vote, r antifraud.Report) outcome {
	tb.Helper()
	if len(r.Verdicts) != len(votes) {
		tb.Fatalf("%d verdicts for %d votes", len(r.Verdicts), len(votes))
	}
	o := outcome{byLabel: make(map[string]*labelOutcome)}
	honestCount := map[string]int{} // project -> honest votes
	keptCount := map[string]int{}   // project -> votes left counted
	for i, v := range votes {
		vd := r.Verdicts[i]
		if vd.VoteID != v.VoteID {
			tb.Fatalf("verdict %d is for %s, want %s", i, vd.VoteID, v.VoteID)
		}
		label, ok := w.labels[v.VoteID]
		if !ok {
			label = "background"
		}
		honest := w.honest[label]
		lo := o.byLabel[label]
		if lo == nil {
			lo = &labelOutcome{honest: honest}
			o.byLabel[label] = lo
		}
		flagged := vd.Status == antifraud.StatusFlagged
		lo.votes++
		if flagged {
			lo.flagged++
		}
		if honest {
			o.honestVotes++
			honestCount[v.ProjectID]++
			if flagged {
				o.honestFlagged++
			}
		} else {
			o.attackVotes++
			if flagged {
				o.attackFlagged++
			}
		}
		if !flagged {
			keptCount[v.ProjectID]++
		}
	}
	for c, ps := range w.projects {
		if !slices.Equal(top(ps, honestCount, 5), top(ps, keptCount, 5)) {
			o.wrongChampions = append(o.wrongChampions, w.cats[c])
		}
	}
	return o
}

// top is the n projects with most votes, as a sorted set.
func top(ps []string, count map[string]int, n int) []string {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b string) int {
		if c := cmp.Compare(count[b], count[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	out := slices.Clone(ps[:min(n, len(ps))])
	slices.Sort(out)
	return out
}
