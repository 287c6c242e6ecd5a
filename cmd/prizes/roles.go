package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/voting/postgres"
)

// runRoles grants and revokes the organiser and juror roles:
//
//	prizes roles grant --email ADDR --role organiser
//	prizes roles grant --email ADDR --role juror --edition E --category C
//	prizes roles revoke ... (same flags)
//	prizes roles list --email ADDR
//
// A grant to an address that never signed in creates its account, so
// organisers can set up jurors before they first sign in. Tokens carry the
// new roles from the next sign-in or refresh, within 15 minutes.
func runRoles(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("roles")
	if err != nil {
		return err
	}
	email := fs.String("email", "", "the account's email address")
	role := fs.String("role", "", "organiser or juror")
	edition := fs.String("edition", "", "the juror's edition")
	category := fs.String("category", "", "the juror's category")
	if len(args) == 0 {
		return fmt.Errorf("roles: want grant, revoke or list")
	}
	action := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	addr, err := identity.ParseEmail(*email)
	if err != nil {
		return fmt.Errorf("roles: --email: %w", err)
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	store := ipostgres.New(pg.Pool())
	stable, err := identity.StableSecret(ctx, store, time.Now())
	if err != nil {
		return err
	}
	hash := identity.HashEmail(stable, addr)
	g := identity.Grant{Role: *role, Edition: *edition, Category: *category}
	var id int64
	switch action {
	case "grant":
		if err := g.Validate(); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
		acct, err := store.Enrol(ctx, identity.Enrolment{EmailHash: hash, Email: addr.Address, At: time.Now()})
		if err != nil {
			return err
		}
		if id, err = store.Grant(ctx, hash, g); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "granted %s to account %d (%s)\n", g.Role, acct.ID, addr.Address)
	case "revoke":
		ok, err := store.RevokeGrant(ctx, hash, g)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("roles revoke: %s holds no such grant: %w", addr.Address, identity.ErrNotFound)
		}
	case "list":
	default:
		return fmt.Errorf("roles: unknown action %q; want grant, revoke or list", action)
	}
	if id == 0 {
		if id, err = store.AccountID(ctx, hash); err != nil {
			return fmt.Errorf("roles: %s: %w", addr.Address, err)
		}
	}
	grants, err := store.Grants(ctx, id)
	if err != nil {
		return err
	}
	type grantJSON struct {
		Role     string `json:"role"`
		Edition  string `json:"edition,omitempty"`
		Category string `json:"category,omitempty"`
	}
	out := struct {
		Account int64       `json:"account"`
		Email   string      `json:"email"`
		Roles   []string    `json:"roles"`
		Grants  []grantJSON `json:"grants"`
	}{Account: id, Email: addr.Address, Roles: identity.Roles(grants), Grants: []grantJSON{}}
	for _, g := range grants {
		out.Grants = append(out.Grants, grantJSON{g.Role, g.Edition, g.Category})
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
