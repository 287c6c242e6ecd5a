// Package identity is the domain of who votes: accounts and their roles,
// passwordless sign-in by emailed code, refresh token families, and the
// abuse controls in front of sign-in and the vote (rate limits and a
// proof-of-work challenge). It imports the standard library and the voting
// domain's types only; its stores, its mail server and its hot counters are
// reached through the small interfaces declared here.
package identity

import (
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wsisvote/prizes/internal/kind"
)

// Roles an account can hold. Every account is a voter and may own projects;
// organisers and jurors are granted.
const (
	RoleVoter     = "voter"
	RoleOwner     = "owner"
	RoleJuror     = "juror"
	RoleOrganiser = "organiser"
)

// Account is a person known by an email address. Ids are dense integers: the
// vote path's exact deduplication is one bit per voter and ballot slot,
// addressed by this id.
type Account struct {
	ID          int64
	Email       string
	DisplayName string
	Country     string
	CreatedAt   time.Time
	VerifiedAt  time.Time
}

// Grant is a role given to an account. A juror grant is scoped to one
// edition and one category; an organiser grant is global.
type Grant struct {
	Role     string
	Edition  string
	Category string
}

// Validate reports what is wrong with g. Its errors wrap kind.ErrInvalid.
func (g Grant) Validate() error {
	switch g.Role {
	case RoleOrganiser:
		if g.Edition != "" || g.Category != "" {
			return fmt.Errorf("grant %s: an organiser is not scoped: %w", g.Role, kind.ErrInvalid)
		}
	case RoleJuror:
		if g.Edition == "" || g.Category == "" {
			return fmt.Errorf("grant %s: a juror needs an edition and a category: %w", g.Role, kind.ErrInvalid)
		}
	default:
		return fmt.Errorf("grant %q: only %s and %s are granted: %w", g.Role, RoleOrganiser, RoleJuror, kind.ErrInvalid)
	}
	return nil
}

// Roles returns the roles of an account with grants: voter and owner, which
// every account holds, and each granted role once, in a stable order.
func Roles(grants []Grant) []string {
	roles := []string{RoleVoter, RoleOwner}
	for _, g := range grants {
		if !slices.Contains(roles, g.Role) {
			roles = append(roles, g.Role)
		}
	}
	slices.Sort(roles[2:])
	return roles
}

// Profile is what a person tells about themselves at first sign-in.
type Profile struct {
	DisplayName string
	Country     string
}

// Bounds on a profile.
const maxDisplayName = 80

// Validate checks a profile: a display name of printable characters, at
// most 80 of them, and a country that is empty or an ISO 3166-1 alpha-2
// code. Its errors wrap kind.ErrInvalid.
func (p Profile) Validate() error {
	if !utf8.ValidString(p.DisplayName) || utf8.RuneCountInString(p.DisplayName) > maxDisplayName {
		return fmt.Errorf("display_name must be valid text of at most %d characters: %w", maxDisplayName, kind.ErrInvalid)
	}
	for _, r := range p.DisplayName {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("display_name has a control or invisible character: %w", kind.ErrInvalid)
		}
	}
	if p.Country != "" {
		if len(p.Country) != 2 || p.Country[0] < 'A' || p.Country[0] > 'Z' || p.Country[1] < 'A' || p.Country[1] > 'Z' {
			return fmt.Errorf("country must be an ISO 3166-1 alpha-2 code such as CH: %w", kind.ErrInvalid)
		}
	}
	return nil
}
