package prizes

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
)

// Invitations give the organiser and juror roles. Only the first organiser
// is made from the command line (prizes roles grant); after that,
// organisers invite people by address. The invitation's mail holds a link
// with a random token, of which only a hash is stored; the invitee signs in
// and accepts, which grants the role. Every invitation, revocation and
// grant is in an audit chain: a juror's in the edition's, an organiser's,
// which no edition scopes, in the chain named RolesChain.

// RolesChain names the audit chain of the roles that no edition scopes
// (organiser invitations and grants). It cannot be an edition's id, which
// never starts with an underscore; prizes audit verify checks it like an
// edition's.
const RolesChain = "_roles"

// InvitationTTL is how long an invitation can be accepted.
const InvitationTTL = 7 * 24 * time.Hour

// The actions of invitations, in the audit log under these names.
const (
	ActionInvite       Action = "role.invite"
	ActionRevokeInvite Action = "role.invite.revoke"
	ActionGrantRole    Action = "role.grant"
)

// InvitationStatus is where an invitation stands.
type InvitationStatus string

// The statuses of an invitation.
const (
	InvitationPending  InvitationStatus = "pending"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationRevoked  InvitationStatus = "revoked"
	InvitationExpired  InvitationStatus = "expired"
)

// Invitation is an invitation to a role, as organisers list it.
type Invitation struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	// Role is juror or organiser; a juror's has an edition and category.
	Role       string           `json:"role"`
	Edition    string           `json:"edition,omitempty"`
	Category   string           `json:"category,omitempty"`
	Status     InvitationStatus `json:"status"`
	InvitedBy  int64            `json:"invited_by"`
	CreatedAt  time.Time        `json:"created_at"`
	ExpiresAt  time.Time        `json:"expires_at"`
	RevokedAt  *time.Time       `json:"revoked_at,omitempty"`
	AcceptedAt *time.Time       `json:"accepted_at,omitempty"`
	AcceptedBy int64            `json:"accepted_by,omitempty"`
}

// StatusAt returns the invitation's status at now: accepted and revoked
// are final; a pending one past its expiry is expired.
func (inv Invitation) StatusAt(now time.Time) InvitationStatus {
	switch {
	case inv.AcceptedAt != nil:
		return InvitationAccepted
	case inv.RevokedAt != nil:
		return InvitationRevoked
	case !now.Before(inv.ExpiresAt):
		return InvitationExpired
	}
	return InvitationPending
}

// Usable returns nil when the invitation can be accepted at now, and
// otherwise the error that says why not.
func (inv Invitation) Usable(now time.Time) error {
	switch inv.StatusAt(now) {
	case InvitationAccepted:
		return ErrInvitationUsed
	case InvitationRevoked:
		return ErrInvitationRevoked
	case InvitationExpired:
		return ErrInvitationExpired
	}
	return nil
}

// NewInvitation is an organiser's request to invite an address to a role.
type NewInvitation struct {
	Email    string `json:"email"`
	Role     string `json:"role"`
	Edition  string `json:"edition,omitempty"`
	Category string `json:"category,omitempty"`
	// Language is the language of the invitation's mail, one of the site's;
	// English when empty.
	Language string `json:"language,omitempty"`
}

// Normalised returns n with its address parsed into lower case, or
// FieldErrors for what is wrong with its fields on their own (whether the
// edition has the category is the store's check).
func (n NewInvitation) Normalised(languages []string) (NewInvitation, error) {
	f := FieldErrors{}
	if e, err := identity.ParseEmail(n.Email); err != nil {
		f["email"] = "must be an email address"
	} else {
		n.Email = e.Address
	}
	switch n.Role {
	case identity.RoleOrganiser:
		if n.Edition != "" || n.Category != "" {
			f["role"] = "an organiser is invited without an edition or category"
		}
	case identity.RoleJuror:
		if n.Edition == "" {
			f["edition"] = "a juror is invited to an edition's panel"
		}
		if n.Category == "" {
			f["category"] = "a juror is invited to a category's panel"
		}
	default:
		f["role"] = "must be juror or organiser"
	}
	if n.Language == "" {
		n.Language = "en"
	}
	known := false
	for _, l := range languages {
		known = known || l == n.Language
	}
	if !known {
		f["language"] = "must be one of the site's languages"
	}
	return n, f.Err()
}

// NewInvitationToken returns a random token for an invitation's link and
// the hash of it that is stored.
func NewInvitationToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashInvitationToken(token), nil
}

// HashInvitationToken returns the stored form of a token.
func HashInvitationToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// The errors of invitations. Each says plainly why an invitation cannot be
// used, with a stable code the site shows its own text for.
var (
	// ErrUnknownInvitation means no invitation has this token or id.
	ErrUnknownInvitation = kind.New(kind.NotFound, "unknown_invitation", "there is no such invitation")
	// ErrInvitationExpired means the invitation was not accepted in time.
	ErrInvitationExpired = kind.New(kind.Conflict, "invitation_expired", "this invitation has expired; ask an organiser for a new one")
	// ErrInvitationRevoked means an organiser revoked the invitation.
	ErrInvitationRevoked = kind.New(kind.Conflict, "invitation_revoked", "this invitation was revoked")
	// ErrInvitationUsed means the invitation was already accepted.
	ErrInvitationUsed = kind.New(kind.Conflict, "invitation_used", "this invitation has already been accepted")
	// ErrInvitationAddress means the signed-in account is not the invited
	// address's.
	ErrInvitationAddress = kind.New(kind.Forbidden, "invitation_other_address",
		"this invitation is for another email address; sign in with the address it was sent to")
)
