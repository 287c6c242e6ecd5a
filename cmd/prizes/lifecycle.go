package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting/postgres"
)

// tokenRoles are the roles operator tooling mints tokens for.
func tokenRoles() []string {
	return []string{api.RoleVoter, api.RoleOwner, api.RoleJuror, api.RoleOrganiser}
}

// runToken is prizes token: a signed access token for an existing account in
// any role, for tests and rehearsals.
func runToken(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("token")
	if err != nil {
		return err
	}
	role := fs.String("role", "", "role the token carries: voter, owner, juror or organiser")
	subject := fs.Int64("subject", 0, "account id the token is for")
	ttl := fs.Duration("ttl", voterTokenTTL, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !slices.Contains(tokenRoles(), *role) || *subject <= 0 || *ttl <= 0 {
		return fmt.Errorf("token: --role (one of %v), --subject and a positive --ttl are required", tokenRoles())
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	accounts := ipostgres.New(db.Pool())
	acc, err := accounts.Account(ctx, *subject)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	tok, err := mintToken(ctx, accounts, acc, *role, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, tok)
	return nil
}

// runAccount is prizes account: finds or creates the verified account with
// an email address, and with --role also mints a token for it. It writes
// account_id, or account_id<TAB>token.
func runAccount(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("account")
	if err != nil {
		return err
	}
	email := fs.String("email", "", "the account's email address")
	name := fs.String("name", "", "display name, for a new account")
	country := fs.String("country", "", "ISO 3166 alpha-2 country, for a new account")
	role := fs.String("role", "", "also mint a token in this role: voter, owner, juror or organiser")
	ttl := fs.Duration("ttl", voterTokenTTL, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *role != "" && !slices.Contains(tokenRoles(), *role) {
		return fmt.Errorf("account: --role must be one of %v", tokenRoles())
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	accounts := ipostgres.New(db.Pool())
	acc, err := accounts.EnsureAccount(ctx, *email, *name, *country)
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	if *role == "" {
		fmt.Fprintln(a.stdout, acc.ID)
		return nil
	}
	tok, err := mintToken(ctx, accounts, acc, *role, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d\t%s\n", acc.ID, tok)
	return nil
}

func mintToken(ctx context.Context, accounts *ipostgres.Store, acc identity.Account, role string, ttl time.Duration) (string, error) {
	key, err := accounts.ActiveSigningKey(ctx, time.Now())
	if err != nil {
		return "", err
	}
	signer, err := api.NewSigner(key.ID, key.Private, time.Now)
	if err != nil {
		return "", err
	}
	return signer.Issue(strconv.FormatInt(acc.ID, 10), role, acc.CreatedAt, ttl)
}

// runAudit is prizes audit verify: checks an edition's audit chain and the
// head signed into its results, and exits 1 on any break.
func runAudit(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("audit: usage: prizes audit verify --edition E")
	}
	edition, err := a.editionArg("audit verify", "edition whose audit log to verify", args[1:])
	if err != nil {
		return err
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	rep, err := ppg.New(pg.Pool(), ppg.Options{}).VerifyAudit(ctx, edition)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if !rep.OK {
		return exitCode(1)
	}
	return nil
}
