package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/web"
)

// InvitationStore keeps invitations to the organiser and juror roles
// (prizes/postgres.Store is one). Every method returns kind.ErrUnavailable
// when the store cannot be reached, and changes nothing when it fails.
type InvitationStore interface {
	// CreateInvitation invites an address and queues the mail with the
	// link; the token is for that mail only. It returns
	// prizes.FieldErrors, voting.ErrUnknownEdition and a
	// *prizes.PhaseError.
	CreateInvitation(ctx context.Context, actor prizes.Actor, n prizes.NewInvitation, languages []string) (prizes.Invitation, string, error)
	// Invitations lists the newest invitations first.
	Invitations(ctx context.Context, limit int) ([]prizes.Invitation, error)
	// RevokeInvitation returns prizes.ErrUnknownInvitation and
	// prizes.ErrInvitationUsed.
	RevokeInvitation(ctx context.Context, actor prizes.Actor, id string) (prizes.Invitation, error)
	// InvitationByToken returns prizes.ErrUnknownInvitation.
	InvitationByToken(ctx context.Context, token string) (prizes.Invitation, error)
	// AcceptInvitation grants the invitation's role to account. It returns
	// prizes.ErrUnknownInvitation, prizes.ErrInvitationExpired,
	// prizes.ErrInvitationRevoked, prizes.ErrInvitationUsed,
	// prizes.ErrInvitationAddress and a *prizes.PhaseError.
	AcceptInvitation(ctx context.Context, account int64, token string) (prizes.Invitation, error)
}

type invitationsJSON struct {
	Invitations []prizes.Invitation `json:"invitations"`
}

type acceptRequest struct {
	// Token is the token of the invitation's link (the last part of its
	// path).
	Token string `json:"token"`
}

// invitationRoutes registers the invitation routes: organisers invite,
// list and revoke; any signed-in account accepts an invitation sent to its
// address.
func (l *lifecycle) invitationRoutes(v1 *gin.RouterGroup, organiser Policy) {
	// Every account holds the voter and owner roles; a test token may carry
	// one role alone, so any role is enough to be signed in.
	signedIn := Policy{Roles: []string{RoleVoter, RoleOwner, RoleJuror, RoleOrganiser}}
	l.handle(v1, http.MethodGet, "/invitations", organiser, l.listInvitations)
	l.handle(v1, http.MethodPost, "/invitations", organiser, l.createInvitation)
	l.handle(v1, http.MethodPost, "/invitations/:id/revoke", organiser, l.revokeInvitation)
	l.handle(v1, http.MethodPost, "/invitations/accept", signedIn, l.acceptInvitation)
}

// createInvitation is POST /invitations with {"email", "role", "edition",
// "category", "language"}: 201 with the invitation; its link goes to the
// address by mail only.
func (l *lifecycle) createInvitation(c *gin.Context) {
	var n prizes.NewInvitation
	if err := decodeBody(c, maxLifecycleBody, &n); err != nil {
		l.fail(c, fmt.Errorf("invite: %w", err))
		return
	}
	act(l, c, http.StatusCreated, func(ctx context.Context, a prizes.Actor) (prizes.Invitation, error) {
		inv, _, err := l.cfg.Invitations.CreateInvitation(ctx, a, n, web.Languages())
		return inv, err
	}, func(inv prizes.Invitation) any { return inv })
}

// listInvitations is GET /invitations: the newest invitations first, with
// their status.
func (l *lifecycle) listInvitations(c *gin.Context) {
	invs, err := l.cfg.Invitations.Invitations(c.Request.Context(), 0)
	if err != nil {
		l.fail(c, err)
		return
	}
	if invs == nil {
		invs = []prizes.Invitation{}
	}
	c.JSON(http.StatusOK, invitationsJSON{Invitations: invs})
}

// revokeInvitation is POST /invitations/:id/revoke; revoking twice answers
// the revoked invitation again.
func (l *lifecycle) revokeInvitation(c *gin.Context) {
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Invitation, error) {
		return l.cfg.Invitations.RevokeInvitation(ctx, a, c.Param("id"))
	}, func(inv prizes.Invitation) any { return inv })
}

// acceptInvitation is POST /invitations/accept with {"token"}: the
// signed-in account, which must be the invited address's, is granted the
// role. Its tokens carry the role from the next sign-in or refresh.
func (l *lifecycle) acceptInvitation(c *gin.Context) {
	var r acceptRequest
	if err := decodeBody(c, 4<<10, &r); err != nil {
		l.fail(c, fmt.Errorf("accept invitation: %w", err))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Invitation, error) {
		return l.cfg.Invitations.AcceptInvitation(ctx, a.ID, r.Token)
	}, func(inv prizes.Invitation) any { return inv })
}
