package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/web"
)

// runNode runs script with node, the solver loaded as pow, and returns its
// standard output. The test is skipped where node is not installed.
func runNode(tb testing.TB, script string, args ...string) string {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Skip("node is not installed")
	}
	path, err := filepath.Abs("static/pow.js")
	if err != nil {
		tb.Fatal(err)
	}
	src := "const pow = require(" + strconv.Quote(path) + ");\n" + script
	cmd := exec.Command(node, append([]string{"-e", src, "--"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		tb.Fatalf("node: %v\n%s", err, stderr)
	}
	return string(out)
}

func TestPowJS_SHA256MatchesGo(t *testing.T) {
	inputs := []string{"", "abc", strings.Repeat("a", 55), strings.Repeat("b", 56), strings.Repeat("c", 64),
		strings.Repeat("d", 119), "Zoë 日本 ✓", "0123456789abcdef0123456789abcdef?expires=1772366400&k=abc123&p=code42"}
	raw, _ := json.Marshal(inputs)
	out := runNode(t, `for (const s of JSON.parse(process.argv[1])) console.log(pow.sha256hex(s));`, string(raw))
	got := strings.Fields(out)
	if len(got) != len(inputs) {
		t.Fatalf("node printed %d digests for %d inputs", len(got), len(inputs))
	}
	for i, in := range inputs {
		sum := sha256.Sum256([]byte(in))
		if want := hex.EncodeToString(sum[:]); got[i] != want {
			t.Errorf("sha256(%q): js %s, go %s", in, got[i], want)
		}
	}
}

func TestPowJS_SolvesWhatGoSolves(t *testing.T) {
	// Puzzles made the way the server makes them, with known numbers,
	// including the extremes of the range.
	var puzzles []identity.Challenge
	for _, n := range []int64{0, 9, 10, 777, 4999} {
		salt := "4f2a9c0d1e2b3a4c5d6e7f80?expires=1772366400&k=abc123&p=vote"
		sum := sha256.Sum256([]byte(salt + strconv.FormatInt(n, 10)))
		puzzles = append(puzzles, identity.Challenge{Algorithm: "SHA-256", Challenge: hex.EncodeToString(sum[:]),
			MaxNumber: 4999, Salt: salt, Signature: "sig" + strconv.FormatInt(n, 10)})
	}
	raw, _ := json.Marshal(puzzles)
	out := runNode(t, `(async () => {
		for (const c of JSON.parse(process.argv[1])) console.log(pow.encode(await pow.solve(c, {yield: false})));
	})().catch((e) => { console.error(e); process.exit(1); });`, string(raw))
	lines := strings.Fields(out)
	if len(lines) != len(puzzles) {
		t.Fatalf("node solved %d of %d puzzles", len(lines), len(puzzles))
	}
	for i, c := range puzzles {
		js, err := identity.DecodeSolution(lines[i])
		if err != nil {
			t.Fatalf("puzzle %d: the JS solution does not decode in Go: %v", i, err)
		}
		goSol, err := identity.Solve(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if js != goSol {
			t.Errorf("puzzle %d: js %+v, go %+v", i, js, goSol)
		}
	}
}

func TestPowJS_Embedded(t *testing.T) {
	if !strings.Contains(string(web.PowJS()), "fetchAndSolve") {
		t.Error("the embedded solver is not pow.js")
	}
}
