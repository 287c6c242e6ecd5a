package voting_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wsisvote/prizes/voting"
)

func ballotProjects(n int) []voting.Project {
	ps := make([]voting.Project, n)
	for i := range ps {
		ps[i] = voting.Project{ID: fmt.Sprintf("p%02d", i), Category: "C1"}
	}
	return ps
}

func ids(ps []voting.Project) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func TestBallotOrder_stableForOneSeed(t *testing.T) {
	key := voting.EditionBallotKey([]byte("secret"), "demo")
	ps := ballotProjects(20)
	a := ids(voting.BallotOrder(key, "C1", "voter:42", ps))
	b := ids(voting.BallotOrder(key, "C1", "voter:42", slices.Clone(ps)))
	if !slices.Equal(a, b) {
		t.Fatalf("same voter, two orders:\n%v\n%v", a, b)
	}
	if c := ids(voting.BallotOrder(key, "C1", "voter:43", ps)); slices.Equal(a, c) {
		t.Errorf("two voters got the same order %v", a)
	}
	other := voting.EditionBallotKey([]byte("secret"), "other")
	if c := ids(voting.BallotOrder(other, "C1", "voter:42", ps)); slices.Equal(a, c) {
		t.Errorf("two editions gave one voter the same order %v", a)
	}
	if !slices.Equal(ids(ps), ids(ballotProjects(20))) {
		t.Error("BallotOrder modified its input")
	}
}

// TestBallotOrder_uniform checks with a chi-square test that over many
// voters every project is equally likely at every position.
func TestBallotOrder_uniform(t *testing.T) {
	const n, voters = 10, 20000
	key := voting.EditionBallotKey([]byte("secret"), "demo")
	ps := ballotProjects(n)
	var counts [n][n]int
	for v := range voters {
		for pos, p := range voting.BallotOrder(key, "C1", fmt.Sprintf("voter:%d", v), ps) {
			var i int
			fmt.Sscanf(p.ID, "p%d", &i)
			counts[i][pos]++
		}
	}
	expected := float64(voters) / n
	var chi2 float64
	for i := range n {
		for pos := range n {
			d := float64(counts[i][pos]) - expected
			chi2 += d * d / expected
		}
	}
	// (n-1)^2 = 81 degrees of freedom; the 99.9th percentile of chi-square
	// with 81 degrees of freedom is about 126.
	if chi2 > 126 {
		t.Errorf("chi-square %.1f over 81 degrees of freedom: positions are not uniform", chi2)
	}
}
