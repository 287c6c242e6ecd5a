package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/wsisvote/prizes/transparency"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/invopop/jsonschema"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// operation documents one route of the JSON API. Its schemas are reflected
// from the Go types the handler decodes and answers, so the document follows
// them as they change.
type operation struct {
	summary string
	// about is said in the description, after the roles and before the error
	// codes.
	about string
	// params are the query and header parameters; path parameters come from
	// the route itself.
	params []param
	// body is a value of the type the request body is decoded into, nil for
	// a route without a body.
	body any
	// example is a request body the handler takes, in JSON.
	example string
	// answers are the success answers by status: a value of the Go type
	// answered as JSON, a mediaType, or nil for an answer without a body.
	answers map[int]any
	// errors are the refusals the route answers besides the ones every
	// route of its kind does (see errorsOf).
	errors []*kind.Error
	// optionalToken says a public route reads a bearer token when one is
	// sent.
	optionalToken bool
}

// param is a query or header parameter.
type param struct {
	in, name, about string
	required        bool
}

// mediaType is an answer that is not JSON, by its content type; its body is
// documented as a string.
type mediaType string

// receiptJSON is the answer to a vote, as writeReceipt writes it.
type receiptJSON struct {
	VoteID   string `json:"vote_id"`
	Status   string `json:"status"`
	Category string `json:"category"`
}

// The errors most lifecycle routes share.
var (
	ofEdition = []*kind.Error{voting.ErrUnknownEdition, kind.ErrUnavailable}
	inPhase   = []*kind.Error{voting.ErrUnknownEdition, prizes.ErrWrongPhase, kind.ErrUnavailable}
)

// with returns base and more, in a new slice.
func with(base []*kind.Error, more ...*kind.Error) []*kind.Error {
	return append(slices.Clone(base), more...)
}

// operations documents every route of the JSON API, keyed by its method and
// Gin path as registered. A test fails for a route served without a row here
// and for a row of a route that is not served; adding a route means adding
// its row.
var operations = map[string]operation{
	// Votes, the ballot and the live tally.
	"POST /api/v1/editions/:edition/votes": {summary: "Cast a vote",
		about:  "A retry of a vote already recorded answers 200 with its first receipt.",
		params: []param{{"header", ChallengeHeader, "a solved proof-of-work challenge, required when the edition asks for one", false}},
		body:   VoteRequest{}, example: `{"project_id":"p-c1-a"}`,
		answers: map[int]any{202: receiptJSON{}, 200: receiptJSON{}},
		errors: []*kind.Error{voting.ErrClosed, voting.ErrUnknownEdition, voting.ErrUnknownProject, voting.ErrNotNominated,
			voting.ErrDuplicate, voting.ErrCategoryFull, identity.ErrChallengeRequired, identity.ErrChallengeInvalid,
			kind.ErrRateLimited, kind.ErrUnavailable, voting.ErrOutcomeUnknown}},
	"GET /api/v1/editions/:edition/projects": {summary: "List the ballot's nominees",
		about:   "A voter's token gives the voter's own order of the nominees; without one the order is the day's.",
		params:  []param{{"query", "category", "a category's code: only its nominees", false}},
		answers: map[int]any{200: projectsResponse{}}, optionalToken: true,
		errors: []*kind.Error{voting.ErrUnknownEdition, voting.ErrUnknownCategory, kind.ErrUnauthenticated}},
	"GET /api/v1/editions/:edition/tally": {summary: "Read the live tally",
		about:   "Public under the edition's public_tally rule; otherwise organisers only.",
		answers: map[int]any{200: tallyResponse{}}, optionalToken: true,
		errors: []*kind.Error{voting.ErrUnknownEdition, errTallyHidden, kind.ErrUnavailable}},

	// Editions.
	"GET /api/v1/editions": {summary: "List editions",
		answers: map[int]any{200: editionsResponse{}}, errors: []*kind.Error{kind.ErrUnavailable}},
	"POST /api/v1/editions": {summary: "Create an edition in draft",
		body: newEditionJSON{}, example: `{"id":"openapi2026","name":"OpenAPI 2026",` +
			`"categories":[{"code":"C1","name":"Governments"},{"code":"C2","name":"Infrastructure"}]}`,
		answers: map[int]any{201: editionJSON{}}, errors: []*kind.Error{prizes.ErrEditionExists, kind.ErrUnavailable}},
	"GET /api/v1/editions/:edition": {summary: "Read an edition",
		answers: map[int]any{200: editionJSON{}}, errors: ofEdition},
	"PATCH /api/v1/editions/:edition/rules": {summary: "Change an edition's rules",
		about: "Only the settings sent change. Allowed until voting opens.",
		body:  prizes.Rules{}, example: `{"champions_per_category":3}`,
		answers: map[int]any{200: editionJSON{}}, errors: inPhase},
	"PUT /api/v1/editions/:edition/schedule": {summary: "Set the phase windows",
		about: "Each phase's start and end are RFC 3339 times with a zone, or null. " +
			"A window that would close the running phase at once is refused unless close_now is true.",
		body: scheduleBody{}, example: `{"submission":{"start":"2026-05-01T09:00:00Z","end":null}}`,
		answers: map[int]any{200: editionJSON{}}, errors: inPhase},
	"POST /api/v1/editions/:edition/phase": {summary: "Advance an edition to its next phase",
		body: advanceRequest{}, example: `{"phase":"submission"}`,
		answers: map[int]any{200: editionJSON{}}, errors: with(inPhase, prizes.ErrNotReady, prizes.ErrTieUnresolved)},

	// Entries and their review.
	"GET /api/v1/editions/:edition/submissions": {summary: "List the owner's entries",
		answers: map[int]any{200: submissionsResponse{}}, errors: ofEdition},
	"POST /api/v1/editions/:edition/submissions": {summary: "Create a draft entry",
		body: prizes.Entry{}, example: openAPIEntryExample,
		answers: map[int]any{201: submissionJSON{}}, errors: with(inPhase, prizes.ErrDuplicateEntry)},
	"GET /api/v1/editions/:edition/submissions/:id": {summary: "Read one of the owner's entries",
		answers: map[int]any{200: submissionJSON{}}, errors: with(ofEdition, voting.ErrUnknownProject)},
	"PUT /api/v1/editions/:edition/submissions/:id": {summary: "Edit an entry",
		body: prizes.Entry{}, example: openAPIEntryExample,
		answers: map[int]any{200: submissionJSON{}},
		errors:  with(inPhase, voting.ErrUnknownProject, prizes.ErrDuplicateEntry, prizes.ErrFinal)},
	"POST /api/v1/editions/:edition/submissions/:id/submit": {summary: "Submit a complete entry",
		answers: map[int]any{200: submissionJSON{}}, errors: with(inPhase, voting.ErrUnknownProject, prizes.ErrFinal, kind.ErrInvalid)},
	"POST /api/v1/editions/:edition/submissions/:id/withdraw": {summary: "Withdraw an entry not reviewed yet",
		answers: map[int]any{200: submissionJSON{}}, errors: with(inPhase, voting.ErrUnknownProject, prizes.ErrFinal)},
	"GET /api/v1/editions/:edition/submissions/:id/files": {summary: "List an entry's files",
		about:   "the logo first, then the attachments in order; url and thumb_url are content-addressed and never change.",
		answers: map[int]any{200: filesResponse{}}, errors: with(ofEdition, voting.ErrUnknownProject)},
	"POST /api/v1/editions/:edition/submissions/:id/files": {summary: "Upload a logo or an attachment",
		about: "A multipart/form-data body (not JSON) with the field kind (logo or attachment) and one file in the field file. " +
			"The type is read from the content: a logo is PNG or JPEG of at most 2 MiB, an attachment PDF, PNG or JPEG of at most 10 MiB, " +
			"at most 5 attachments. Images are re-encoded (metadata dropped) and get a thumbnail. A new logo replaces the logo; " +
			"the same content again answers the file already recorded. Allowed while the entry can be edited.",
		answers: map[int]any{201: fileJSON{}},
		errors: with(inPhase, voting.ErrUnknownProject, prizes.ErrFinal, kind.ErrInvalid, errNotMultipart, prizes.ErrFileTooLarge,
			prizes.ErrFileType, prizes.ErrFileCorrupt, prizes.ErrTooManyAttachments, prizes.ErrFileKind)},
	"DELETE /api/v1/editions/:edition/submissions/:id/files/:file": {summary: "Remove a file from an entry",
		about:   "The attachments after it move up one place. Allowed while the entry can be edited.",
		answers: map[int]any{204: nil}, errors: with(inPhase, voting.ErrUnknownProject, prizes.ErrFinal, prizes.ErrBlobNotFound)},
	"GET /api/v1/editions/:edition/files/:hash": {summary: "Download a file by its SHA-256",
		about: "A nominee's logo and its thumbnail are public; any other file is answered to its entry's owner and to organisers " +
			"(with their bearer token) and is a 404 to anyone else. The answer is cached as immutable; attachments come with " +
			"Content-Disposition: attachment.",
		answers: map[int]any{200: mediaType("application/octet-stream"), 304: nil}, optionalToken: true,
		errors: with(ofEdition, prizes.ErrBlobNotFound)},
	"GET /api/v1/editions/:edition/entries.csv": {summary: "Download the entries as CSV",
		about:   "every entry past its draft, in any status, with the names of its files; of one category with category.",
		params:  []param{{"query", "category", "a category's code: only its entries", false}},
		answers: map[int]any{200: mediaType("text/csv; charset=utf-8")}, errors: with(ofEdition, voting.ErrUnknownCategory)},
	"GET /api/v1/editions/:edition/entries.zip": {summary: "Download a category's entries with their files as ZIP",
		about: "entries.csv, files.csv (each file's path in the archive, type, size and SHA-256) and each file under its entry's id; " +
			"streamed as it is read.",
		params:  []param{{"query", "category", "the category's code", true}},
		answers: map[int]any{200: mediaType("application/zip")}, errors: with(ofEdition, voting.ErrUnknownCategory, kind.ErrInvalid)},
	"GET /api/v1/editions/:edition/review": {summary: "Read a category's review queue",
		params:  []param{{"query", "category", "the category's code", true}},
		answers: map[int]any{200: reviewQueueJSON{}}, errors: with(inPhase, voting.ErrUnknownCategory)},
	"POST /api/v1/editions/:edition/review": {summary: "Nominate or reject entries",
		about: "All decisions apply, or none.",
		body:  reviewRequest{}, example: `{"decisions":[{"project_id":"` + exampleProject + `","decision":"nominate"}]}`,
		answers: map[int]any{200: submissionsResponse{}},
		errors:  with(inPhase, voting.ErrUnknownProject, prizes.ErrCapReached)},

	// Champions.
	"GET /api/v1/editions/:edition/champions": {summary: "Read the Champions",
		answers: map[int]any{200: championsJSON{}}, errors: inPhase},
	"GET /api/v1/editions/:edition/champions/preview": {summary: "Preview the Champions while counting",
		answers: map[int]any{200: previewJSON{}}, errors: inPhase},
	"POST /api/v1/editions/:edition/ties": {summary: "Decide a tie at a cut",
		body: prizes.TieDecision{}, example: `{"stage":"champions","category":"C1","order":["` + exampleProject + `"],"reason":"the rules"}`,
		answers: map[int]any{200: prizes.TieDecision{}}, errors: inPhase},

	// The jury.
	"GET /api/v1/editions/:edition/jury/assignments": {summary: "List the jury panels",
		answers: map[int]any{200: assignmentsJSON{}}, errors: ofEdition},
	"PUT /api/v1/editions/:edition/jury/assignments": {summary: "Put a juror on a category's panel",
		body: assignmentRequest{}, example: `{"juror_id":42,"category":"C1"}`,
		answers: map[int]any{200: assignmentRequest{}}, errors: inPhase},
	"DELETE /api/v1/editions/:edition/jury/assignments/:juror/:category": {summary: "Take a juror off a panel",
		answers: map[int]any{204: nil}, errors: with(inPhase, prizes.ErrNotAssigned)},
	"GET /api/v1/editions/:edition/jury/report": {summary: "Read the jury's progress and aggregates",
		answers: map[int]any{200: prizes.JuryReport{}}, errors: inPhase},
	"GET /api/v1/editions/:edition/jury/me": {summary: "Read the juror's own panel",
		answers: map[int]any{200: jurorViewJSON{}}, errors: ofEdition},
	"POST /api/v1/editions/:edition/jury/conflicts": {summary: "Declare a conflict of interest",
		about: "201 for a new declaration; 200 with the first one when it was declared before.",
		body:  conflictRequest{}, example: `{"project_id":"` + exampleProject + `","reason":"I advised this project"}`,
		answers: map[int]any{201: conflictJSON{}, 200: conflictJSON{}}, errors: with(inPhase, prizes.ErrNotAssigned)},
	"PUT /api/v1/editions/:edition/jury/scores/:project": {summary: "Save a draft scorecard",
		body: scoreDraftJSON{}, example: `{"scores":{"impact":7},"comment":"strong reach"}`,
		answers: map[int]any{200: scorecardJSON{}},
		errors:  with(inPhase, prizes.ErrNotAssigned, prizes.ErrConflictOfInterest, prizes.ErrFinal)},
	"POST /api/v1/editions/:edition/jury/scores/:project/submit": {summary: "Submit a scorecard (final)",
		answers: map[int]any{200: scorecardJSON{}},
		errors:  with(inPhase, prizes.ErrNotAssigned, prizes.ErrConflictOfInterest, prizes.ErrFinal, kind.ErrInvalid)},

	// Results and the audit log.
	"GET /api/v1/editions/:edition/results": {summary: "Read the signed results",
		about:   "document holds the exact signed bytes; signature is Ed25519 over them with public_key.",
		answers: map[int]any{200: prizes.SignedResults{}}, errors: with(ofEdition, prizes.ErrNotPublished)},
	"GET /api/v1/editions/:edition/results.csv": {summary: "Download the results as CSV",
		answers: map[int]any{200: mediaType("text/csv; charset=utf-8")}, errors: with(ofEdition, prizes.ErrNotPublished)},
	"GET /api/v1/editions/:edition/ledger.jsonl": {summary: "Download the anonymised ledger file",
		about: "once published: one JSON line per vote in leaf order (leaf hash, project, category, final status and reason codes), " +
			"from which anyone recomputes the log's root, the status tree's root and every count; see docs/transparency.md.",
		answers: map[int]any{200: mediaType("application/jsonl; charset=utf-8")}, errors: with(ofEdition, prizes.ErrNotPublished)},
	"GET /api/v1/editions/:edition/log/checkpoint": {summary: "Read the vote log's signed checkpoint",
		about:   "a signed note (origin, tree size, root hash, Ed25519 signature) as its exact bytes; serve signs one a minute while the log grows.",
		params:  []param{{"query", "size", "the tree size of an earlier checkpoint (the latest when absent)", false}},
		answers: map[int]any{200: mediaType("text/plain; charset=utf-8")}, errors: with(ofEdition, transparency.ErrNoCheckpoint, kind.ErrInvalid)},
	"GET /api/v1/editions/:edition/log/proof/inclusion": {summary: "Prove a vote is in the log",
		about: "the leaf of the receipt's vote and its inclusion proof against the latest checkpoint, or against the checkpoint of size " +
			"with the consistency proof to the latest.",
		params: []param{{"query", "vote_id", "the receipt's vote id", true},
			{"query", "size", "the tree size of an earlier checkpoint (the latest when absent)", false}},
		answers: map[int]any{200: transparency.InclusionProof{}},
		errors:  with(ofEdition, transparency.ErrUnknownVote, transparency.ErrNoCheckpoint, kind.ErrInvalid)},
	"GET /api/v1/editions/:edition/log/proof/consistency": {summary: "Prove the log only grew between two checkpoints",
		params: []param{{"query", "from", "the tree size of the older checkpoint", true},
			{"query", "to", "the tree size of the newer checkpoint", true}},
		answers: map[int]any{200: transparency.ConsistencyProof{}},
		errors:  with(ofEdition, transparency.ErrBadRange, transparency.ErrNoCheckpoint, kind.ErrInvalid)},
	"GET /api/v1/editions/:edition/audit": {summary: "Read the audit log",
		params: []param{{"query", "after", "the sequence number to read after (0)", false},
			{"query", "limit", "at most this many entries (1000, the most)", false}},
		answers: map[int]any{200: auditJSON{}}, errors: ofEdition},
	"GET /api/v1/editions/:edition/audit/verify": {summary: "Check the audit log's hash chain",
		answers: map[int]any{200: prizes.AuditReport{}}, errors: ofEdition},
	"GET /api/v1/editions/:edition/activity": {summary: "Read the live dashboard's figures",
		about: "the last 60 minutes of vote requests by outcome (accepted, of them flagged and rejected by the ingest scorer; " +
			"duplicate; refused) added up over every API node, the flush lag of every flusher, and the totals since voting opened; " +
			"each node saves its figures every few seconds.",
		answers: map[int]any{200: activityJSON{}}, errors: ofEdition},

	// Invitations to roles.
	"GET /api/v1/invitations": {summary: "List the invitations to roles",
		about:   "Newest first, with each one's status (pending, accepted, revoked, expired).",
		answers: map[int]any{200: invitationsJSON{}}, errors: []*kind.Error{kind.ErrUnavailable}},
	"POST /api/v1/invitations": {summary: "Invite an address to a role",
		about: "Queues the invitation's mail, whose link holds a token that only the mail carries; the invitation " +
			"expires after 7 days. A juror is invited to an edition's category.",
		body: prizes.NewInvitation{}, example: `{"email":"juror@example.org","role":"juror","edition":"wsis-2026","category":"C1","language":"fr"}`,
		answers: map[int]any{201: prizes.Invitation{}}, errors: inPhase},
	"POST /api/v1/invitations/:id/revoke": {summary: "Revoke an invitation",
		about:   "Revoking a revoked invitation answers it again; an accepted one is refused.",
		answers: map[int]any{200: prizes.Invitation{}},
		errors:  []*kind.Error{prizes.ErrUnknownInvitation, prizes.ErrInvitationUsed, prizes.ErrWrongPhase, kind.ErrUnavailable}},
	"POST /api/v1/invitations/accept": {summary: "Accept an invitation",
		about: "Grants the invitation's role to the signed-in account, which must be the invited address's; " +
			"tokens carry the role from the next sign-in or refresh.",
		body: acceptRequest{}, example: `{"token":"c2VjcmV0LXRva2VuLWZyb20tdGhlLW1haWw"}`,
		answers: map[int]any{200: prizes.Invitation{}},
		errors: []*kind.Error{prizes.ErrUnknownInvitation, prizes.ErrInvitationExpired, prizes.ErrInvitationRevoked,
			prizes.ErrInvitationUsed, prizes.ErrInvitationAddress, prizes.ErrWrongPhase, kind.ErrUnavailable}},

	// Fraud review.
	"GET /api/v1/editions/:edition/fraud/cases": {summary: "List fraud cases",
		answers: map[int]any{200: caseListJSON{}}, errors: ofEdition},
	"GET /api/v1/editions/:edition/fraud/cases/:id": {summary: "Read a fraud case with its evidence",
		answers: map[int]any{200: caseJSON{}}, errors: with(ofEdition, antifraud.ErrUnknownCase)},
	"POST /api/v1/editions/:edition/fraud/cases/:id/decision": {summary: "Invalidate or clear a case's votes",
		body: antifraud.DecisionRequest{}, example: `{"decision":"invalidate","reason":"accounts made in one minute"}`,
		answers: map[int]any{200: antifraud.Decision{}},
		errors:  with(inPhase, antifraud.ErrUnknownCase, antifraud.ErrSameDecision)},

	// Sign-in and the account.
	"GET /api/v1/challenge": {summary: "Get a proof-of-work challenge",
		params:  []param{{"query", "purpose", "code (the default) or vote", false}},
		answers: map[int]any{200: identity.Challenge{}}, errors: []*kind.Error{kind.ErrInvalid, kind.ErrUnavailable}},
	"POST /api/v1/auth/email-code": {summary: "Mail a sign-in code",
		about:  "Answers alike whether or not the address has an account.",
		params: []param{{"header", ChallengeHeader, "a solved proof-of-work challenge", false}},
		body:   codeRequest{}, example: `{"email":"ada@example.org"}`,
		answers: map[int]any{202: statusBody{}},
		errors: []*kind.Error{identity.ErrDisposableEmail, identity.ErrChallengeRequired, identity.ErrChallengeInvalid,
			kind.ErrRateLimited, kind.ErrUnavailable}},
	"POST /api/v1/auth/token": {summary: "Exchange a code for tokens",
		about: "The first sign-in of an address creates its account.",
		body:  tokenRequest{}, example: `{"email":"ada@example.org","code":"123456","display_name":"Ada","country":"GB"}`,
		answers: map[int]any{200: tokenResponse{}},
		errors:  []*kind.Error{identity.ErrInvalidCode, kind.ErrRateLimited, kind.ErrUnavailable}},
	"POST /api/v1/auth/refresh": {summary: "Refresh the tokens",
		about: "A refresh token used twice ends its session everywhere.",
		body:  refreshRequest{}, example: `{"refresh_token":"r1"}`,
		answers: map[int]any{200: tokenResponse{}},
		errors:  []*kind.Error{identity.ErrInvalidRefresh, identity.ErrRefreshReused, kind.ErrRateLimited, kind.ErrUnavailable}},
	"POST /api/v1/auth/sign-out": {summary: "End the session",
		body: refreshRequest{}, example: `{"refresh_token":"r1"}`,
		answers: map[int]any{204: nil}, errors: []*kind.Error{identity.ErrInvalidRefresh, kind.ErrUnavailable}},
	"GET /api/v1/me": {summary: "Read the signed-in account",
		answers: map[int]any{200: accountJSON{}}, errors: []*kind.Error{identity.ErrNotFound, kind.ErrUnavailable}},
	"GET /api/v1/me/data": {summary: "Download everything stored about the account",
		answers: map[int]any{200: exportJSON{}}, errors: []*kind.Error{identity.ErrNotFound, kind.ErrUnavailable}},
	"DELETE /api/v1/me": {summary: "Erase the account",
		about:   "Its votes stay in the ledger under an id that leads to no one.",
		answers: map[int]any{204: nil}, errors: []*kind.Error{identity.ErrNotFound, kind.ErrUnavailable}},

	// The service.
	"GET /api/v1/openapi.json": {summary: "This document: the OpenAPI 3.1 reference of the JSON API",
		answers: map[int]any{200: map[string]any{}}},
	"GET /.well-known/jwks.json": {summary: "The public keys tokens are verified with",
		answers: map[int]any{200: jwks{}}},
	"GET /healthz": {summary: "Liveness", answers: map[int]any{200: statusResponse{}}},
	"GET /readyz": {summary: "Readiness of every dependency",
		answers: map[int]any{200: statusResponse{}, 503: statusResponse{}}},
	"GET /metrics": {summary: "Prometheus metrics",
		answers: map[int]any{200: mediaType("text/plain")}},
}

// exampleProject is the project id in the examples.
const exampleProject = "0190c5e2-7d1a-7b3c-9f00-00000000c0de"

const openAPIEntryExample = `{"category":"C1","title":"Open Data Schools","summary":"Schools publish their data.",` +
	`"organisation":"Org OpenAPI","country":"BR","stakeholder_type":"civil_society","links":["https://example.org"]}`

// scheduleBody is the body of PUT schedule: a window by phase name, and
// close_now.
type scheduleBody struct {
	CloseNow bool `json:"close_now,omitempty"`
}

// JSONSchemaExtend documents the windows, which have no field of their own:
// each is a prizes.Window whose start and end may be null.
func (scheduleBody) JSONSchemaExtend(s *jsonschema.Schema) {
	w := requestReflector().Reflect(prizes.Window{})
	for p := w.Properties.Oldest(); p != nil; p = p.Next() {
		p.Value = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{p.Value, {Type: "null"}}}
	}
	s.AdditionalProperties = w
}

// errorsOf returns every error op answers, by status: its own, and those of
// every route with its policy and a body: unauthenticated and forbidden
// for a role route, a refused body for a route that takes one, and an
// internal error for all.
func errorsOf(op operation, p Policy) map[int][]string {
	all := slices.Clone(op.errors)
	if !p.Public {
		all = append(all, kind.ErrUnauthenticated, kind.ErrForbidden)
	}
	if op.body != nil {
		all = append(all, kind.ErrInvalid, errUnsupportedMediaType)
	}
	out := map[int][]string{internalError.status: {internalError.code}}
	for _, e := range all {
		k := kindOf(e)
		if !slices.Contains(out[k.status], k.code) {
			out[k.status] = append(out[k.status], k.code)
		}
	}
	return out
}

// openAPIDocument builds the OpenAPI 3.1 document of the routes of
// operations that are registered in policies.
func openAPIDocument(policies map[string]Policy) ([]byte, error) {
	b := &docBuilder{schemas: map[string]any{}, types: map[string]reflect.Type{}}
	b.response(reflect.TypeOf(errorBody{}))
	paths := map[string]map[string]any{}
	for _, key := range slices.Sorted(maps.Keys(operations)) {
		p, ok := policies[key]
		if !ok {
			continue
		}
		method, route, _ := strings.Cut(key, " ")
		path, item := b.pathItem(route)
		op, err := b.operation(key, operations[key], p, item)
		if err != nil {
			return nil, err
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op
	}
	if b.err != nil {
		return nil, b.err
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "prizes", "version": "1",
			"description": "The JSON API of prizes: public-vote prize contests. Every error answers " +
				"{\"error\":{\"code\",\"message\",\"fields\"}} with a stable code; each operation lists its codes by status."},
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"paths":             paths,
		"components": map[string]any{
			"schemas": b.schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
				"description": "An EdDSA access token from POST /api/v1/auth/token; its roles decide which routes it opens."}},
		},
	}
	return json.Marshal(doc)
}

// docBuilder reflects schemas into the document's components.
type docBuilder struct {
	schemas map[string]any
	// types are the Go types of the response schemas by name, so that two
	// types are never given one name.
	types map[string]reflect.Type
	err   error
}

// pathItem returns the OpenAPI path of a Gin route and its path parameters.
func (b *docBuilder) pathItem(route string) (string, []any) {
	var params []any
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
			params = append(params, map[string]any{"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "string"}})
		}
	}
	return strings.Join(segs, "/"), params
}

func (b *docBuilder) operation(key string, op operation, p Policy, params []any) (map[string]any, error) {
	if op.summary == "" || len(op.answers) == 0 {
		return nil, fmt.Errorf("openapi: %s needs a summary and an answer", key)
	}
	var about []string
	out := map[string]any{"summary": op.summary, "operationId": operationID(key)}
	if p.Public {
		out["security"] = []any{}
		if op.optionalToken {
			out["security"] = []any{map[string]any{}, map[string]any{"bearer": []any{}}}
		}
	} else {
		out["security"] = []any{map[string]any{"bearer": []any{}}}
		about = append(about, "Roles: "+strings.Join(p.Roles, ", ")+".")
	}
	if op.about != "" {
		about = append(about, op.about)
	}
	for _, q := range op.params {
		params = append(params, map[string]any{"name": q.name, "in": q.in, "required": q.required,
			"description": q.about, "schema": map[string]any{"type": "string"}})
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	if op.body != nil {
		media := map[string]any{"schema": b.request(reflect.TypeOf(op.body))}
		if op.example != "" {
			media["example"] = json.RawMessage(op.example)
		}
		out["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": media}}
	}
	responses := map[string]any{}
	for status, v := range op.answers {
		r := map[string]any{"description": http.StatusText(status)}
		switch v := v.(type) {
		case nil:
		case mediaType:
			r["content"] = map[string]any{string(v): map[string]any{"schema": map[string]any{"type": "string"}}}
		default:
			r["content"] = map[string]any{"application/json": map[string]any{"schema": b.response(reflect.TypeOf(v))}}
		}
		responses[strconv.Itoa(status)] = r
	}
	errs := errorsOf(op, p)
	var codes []string
	for _, status := range slices.Sorted(maps.Keys(errs)) {
		if _, ok := responses[strconv.Itoa(status)]; ok {
			return nil, fmt.Errorf("openapi: %s answers %d both as a success and as an error", key, status)
		}
		list := errs[status]
		codes = append(codes, fmt.Sprintf("%d: %s", status, strings.Join(list, ", ")))
		responses[strconv.Itoa(status)] = map[string]any{
			"description": http.StatusText(status) + ": " + strings.Join(list, ", "),
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
				"$ref": "#/components/schemas/ErrorBody",
				"properties": map[string]any{"error": map[string]any{
					"properties": map[string]any{"code": map[string]any{"enum": list}}}},
			}}},
		}
	}
	about = append(about, "Error codes by status: "+strings.Join(codes, "; ")+".")
	out["description"] = strings.Join(about, " ")
	out["responses"] = responses
	return out, nil
}

// operationID names an operation after its method and path, such as
// post_api_v1_editions_edition_votes.
func operationID(key string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return r
		case r == ':':
			return -1
		}
		return '_'
	}, strings.ToLower(strings.Replace(key, " /", "_", 1)))
}

// mapType gives the schema of the types the reflector cannot see into: a
// raw JSON value is any JSON.
func mapType(t reflect.Type) *jsonschema.Schema {
	if t == reflect.TypeFor[jsontext.Value]() {
		return &jsonschema.Schema{}
	}
	return nil
}

// request returns the schema of a request body of type t, inline: a body
// may leave out any field, and may have no other.
func (b *docBuilder) request(t reflect.Type) any {
	return b.plain(requestReflector().ReflectFromType(t))
}

func requestReflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{RequiredFromJSONSchemaTags: true, DoNotReference: true, Anonymous: true, Mapper: mapType}
}

// response returns the schema of an answer of type t, its named types in
// the components: every field without omitempty is always there, and one
// that can be nil may be null.
func (b *docBuilder) response(t reflect.Type) any {
	named := map[string]reflect.Type{}
	r := &jsonschema.Reflector{Anonymous: true, Mapper: mapType, Namer: func(t reflect.Type) string {
		name := schemaName(t)
		if name != "" {
			named[name] = t
		}
		return name
	}}
	s := r.ReflectFromType(t)
	for name, def := range s.Definitions {
		typ := named[name]
		if prev, ok := b.types[name]; ok && prev != typ {
			b.err = fmt.Errorf("openapi: types %v and %v are both named %s", prev, typ, name)
		}
		b.types[name] = typ
		nullable(def, typ)
		b.schemas[name] = b.plain(def)
	}
	s.Definitions = nil
	return b.plain(s)
}

// schemaName names a Go type in the components: its own name for the API's
// types, less a JSON suffix, and with its package for the domain's.
func schemaName(t reflect.Type) string {
	name := t.Name()
	if name == "" {
		return ""
	}
	pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	if pkg == "api" {
		name = strings.TrimSuffix(name, "JSON")
		return strings.ToUpper(name[:1]) + name[1:]
	}
	return pkg + "." + name
}

// nullable lets each field of struct type t that encoding/json can write as
// null (a nil pointer, slice or map without omitempty) be null in s.
func nullable(s *jsonschema.Schema, t reflect.Type) {
	if t == nil || t.Kind() != reflect.Struct || s.Properties == nil {
		return
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := strings.Split(f.Tag.Get("json"), ",")
		name := tag[0]
		if name == "-" || slices.Contains(tag[1:], "omitempty") {
			continue
		}
		if name == "" {
			name = f.Name
		}
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		default:
			continue
		}
		if p, ok := s.Properties.Get(name); ok && p != nil {
			s.Properties.Set(name, &jsonschema.Schema{AnyOf: []*jsonschema.Schema{p, {Type: "null"}}})
		}
	}
}

// plain returns s as generic JSON, its references pointing into the
// components and without the keywords of a standalone schema.
func (b *docBuilder) plain(s *jsonschema.Schema) any {
	raw, err := json.Marshal(s)
	if err != nil {
		b.err = fmt.Errorf("openapi: %w", err)
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		b.err = fmt.Errorf("openapi: %w", err)
		return nil
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			delete(v, "$schema")
			delete(v, "$id")
			if ref, ok := v["$ref"].(string); ok {
				v["$ref"] = strings.Replace(ref, "#/$defs/", "#/components/schemas/", 1)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return v
}

// openAPI serves the document built in New.
func (s *server) openAPI(c *gin.Context) {
	if s.openapi == nil {
		s.fail(c, fmt.Errorf("serve openapi document: not built"))
		return
	}
	c.Data(http.StatusOK, "application/json", s.openapi)
}
