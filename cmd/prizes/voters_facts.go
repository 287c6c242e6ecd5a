package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
)

// accountFacts is one line of a facts file (prizes voters --facts): an
// account to create for a rehearsal, with what the fraud scorers read of
// it. Key is the caller's name for the account, written back beside the
// voter id and token so that the caller can tell its accounts apart;
// SignedInAt, when set, is the sign-in its token claims.
type accountFacts struct {
	Key         string    `json:"key"`
	CreatedAt   time.Time `json:"created_at"`
	SignedInAt  time.Time `json:"signed_in_at"`
	EmailDomain string    `json:"email_domain"`
	Country     string    `json:"country"`
}

// readFacts reads a facts file: one accountFacts per line as JSON, blank
// lines skipped. Every line needs a key, unique in the file, made of
// characters that can stand in an address's local part, and a creation
// time; a sign-in before the creation is an error. Errors name their line.
func readFacts(r io.Reader) ([]accountFacts, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	seen := map[string]int{}
	var out []accountFacts
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		var f accountFacts
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("facts: line %d: %w", line, err)
		}
		switch {
		case f.Key == "":
			return nil, fmt.Errorf("facts: line %d: key is required", line)
		case !localPart(f.Key):
			return nil, fmt.Errorf("facts: line %d: key %q may hold only letters, digits, '.', '_' and '-'", line, f.Key)
		case f.CreatedAt.IsZero():
			return nil, fmt.Errorf("facts: line %d: created_at is required", line)
		case !f.SignedInAt.IsZero() && f.SignedInAt.Before(f.CreatedAt):
			return nil, fmt.Errorf("facts: line %d: signed_in_at is before created_at", line)
		case strings.ContainsAny(f.EmailDomain, "@ \t"):
			return nil, fmt.Errorf("facts: line %d: email_domain %q is not a domain", line, f.EmailDomain)
		}
		if prev, ok := seen[f.Key]; ok {
			return nil, fmt.Errorf("facts: line %d: key %q is on line %d too", line, f.Key, prev)
		}
		seen[f.Key] = line
		out = append(out, f)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("facts: %w", err)
	}
	return out, nil
}

func localPart(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// newAccounts returns the accounts to create for facts. An account's
// address is rehearsal-KEY at its domain (example.invalid when it has
// none), so that only the domain means anything.
func newAccounts(facts []accountFacts) []ipostgres.NewAccount {
	out := make([]ipostgres.NewAccount, len(facts))
	for i, f := range facts {
		domain := strings.ToLower(strings.TrimSuffix(f.EmailDomain, "."))
		if domain == "" {
			domain = "example.invalid"
		}
		out[i] = ipostgres.NewAccount{Email: "rehearsal-" + f.Key + "@" + domain, Country: f.Country, CreatedAt: f.CreatedAt}
	}
	return out
}

// factClaims returns the claims of the token of the account created for f
// as voter: its creation, its sign-in and its email domain's class, as a
// sign-in would give them.
func factClaims(v ipostgres.Voter, f accountFacts, disposable *identity.Blocklist) api.Claims {
	c := api.Claims{Role: api.RoleVoter, Since: v.CreatedAt.Unix(), EmailClass: identity.EmailClassIn(disposable, f.EmailDomain)}
	c.Subject = strconv.FormatInt(v.ID, 10)
	if !f.SignedInAt.IsZero() {
		c.AuthTime = f.SignedInAt.Unix()
	}
	return c
}

// createFactVoters creates the accounts of the facts file at path and
// returns one voter_id<TAB>token<TAB>key line for each, in the file's
// order.
func (a *app) createFactVoters(ctx context.Context, accounts *ipostgres.Store, signer *api.Signer, path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("voters: %w", err)
	}
	facts, err := readFacts(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("voters: %s: %w", path, err)
	}
	if len(facts) == 0 {
		return nil, fmt.Errorf("voters: %s holds no account", path)
	}
	disposable, err := identity.NewBlocklist()
	if err != nil {
		return nil, err
	}
	if file := a.cfg.Identity.DisposableFile; file != "" {
		if _, err := loadDisposable(disposable, file, time.Time{}); err != nil {
			return nil, err
		}
	}
	voters, err := accounts.CreateAccounts(ctx, newAccounts(facts))
	if err != nil {
		return nil, err
	}
	lines := make([]string, len(voters))
	err = parallel(len(voters), func(i int) error {
		tok, err := signer.IssueClaims(factClaims(voters[i], facts[i], disposable), voterTokenTTL)
		if err != nil {
			return err
		}
		lines[i] = strconv.FormatInt(voters[i].ID, 10) + "\t" + tok + "\t" + facts[i].Key + "\n"
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mint tokens: %w", err)
	}
	return lines, nil
}

// parallel calls fn(i) for i in [0, n) on every core and returns the first
// error, by index.
func parallel(n int, fn func(i int) error) error {
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
