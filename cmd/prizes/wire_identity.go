package main

import (
	"context"

	"github.com/wsisvote/prizes/api"
)

// wireIdentity builds sign-in, token and abuse-control services into cfg. ctx
// lives as long as the server.
func (a *app) wireIdentity(ctx context.Context, st *stack, cfg *api.Config) error { return nil }
