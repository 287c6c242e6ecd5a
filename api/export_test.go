package api

import (
	"maps"
	"slices"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// The external tests check these internals against the slower, reference
// implementations they stand in for.
var (
	ScanVote         = scanVote
	DecodeVoteJSON   = decodeVoteJSON
	AppendJSONString = appendJSONString
	DecodeJSON       = decodeJSON
	CheckJSON        = checkJSON
)

// RequestBodies returns a new zero value of every type a JSON route
// decodes its body into, by the route that takes it.
func RequestBodies() map[string]any {
	return map[string]any{
		"POST votes":           new(VoteRequest),
		"POST auth/email-code": new(codeRequest),
		"POST auth/token":      new(tokenRequest),
		"POST auth/refresh":    new(refreshRequest),
		"POST editions":        new(newEditionJSON),
		"PATCH rules":          new(prizes.Rules),
		"PUT schedule":         new(map[voting.Phase]windowJSON),
		"POST phase":           new(advanceRequest),
		"POST submissions":     new(prizes.Entry),
		"POST review":          new(reviewRequest),
		"POST ties":            new(prizes.TieDecision),
		"PUT jury/assignments": new(assignmentRequest),
		"POST jury/conflicts":  new(conflictRequest),
		"PUT jury/scores/:p":   new(scoreDraftJSON),
	}
}

// OpenAPIRoutes returns the routes the OpenAPI table documents, as "METHOD
// /path" with Gin's path parameters.
func OpenAPIRoutes() []string {
	return slices.Sorted(maps.Keys(operations))
}
