package identity

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
)

// shippedDomains is the list of disposable domains released with the code.
//
//go:embed disposable_domains.txt
var shippedDomains string

// Blocklist is a set of disposable email domains. A listed domain covers its
// subdomains too. The list can be replaced while the service runs, so a
// newer list needs no release. It is safe for concurrent use.
type Blocklist struct {
	set atomic.Pointer[map[string]struct{}]
}

// NewBlocklist returns a blocklist holding the shipped domains and those of
// extra, each in the disposable_email_blocklist.conf format (one domain per
// line, '#' comments).
func NewBlocklist(extra ...io.Reader) (*Blocklist, error) {
	b := &Blocklist{}
	if err := b.Replace(extra...); err != nil {
		return nil, err
	}
	return b, nil
}

// Replace swaps in the shipped domains plus those of extra. On error the
// current list stays in force.
func (b *Blocklist) Replace(extra ...io.Reader) error {
	set := make(map[string]struct{}, 4096)
	if err := readDomains(strings.NewReader(shippedDomains), set); err != nil {
		return fmt.Errorf("load shipped disposable domains: %w", err)
	}
	for i, r := range extra {
		if err := readDomains(r, set); err != nil {
			return fmt.Errorf("load disposable domains list %d: %w", i+1, err)
		}
	}
	b.set.Store(&set)
	return nil
}

// Len returns how many domains are listed.
func (b *Blocklist) Len() int { return len(*b.set.Load()) }

// Blocked reports whether domain or one of its parent domains is listed.
func (b *Blocklist) Blocked(domain string) bool {
	set := *b.set.Load()
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	for d != "" {
		if _, ok := set[d]; ok {
			return true
		}
		_, parent, ok := strings.Cut(d, ".")
		if !ok {
			return false
		}
		d = parent
	}
	return false
}

func readDomains(r io.Reader, set map[string]struct{}) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.ToLower(strings.TrimSpace(line))
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t@/") {
			return fmt.Errorf("line %q is not a domain", line)
		}
		set[line] = struct{}{}
	}
	return sc.Err()
}
