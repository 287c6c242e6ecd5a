package postgres

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/voting"
)

// resultsInput gathers what an edition's results are computed from: the
// ledger (counts, digest and transparency log, whose final checkpoint final
// gives), the tie decisions and the submitted scorecards.
func (s *Store) resultsInput(ctx context.Context, q querier, ed prizes.Edition, final finalCheckpoint) (prizes.ResultsInput, error) {
	// The digest and the log's trees each walk every vote of the ledger,
	// the longest reads here by far; they run at once, on connections of
	// their own, while q serves the others.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	digest := make(chan error, 1)
	h := prizes.NewLedgerHasher(ed.VotingWindow())
	go func() {
		digest <- s.ledger.EachVote(dctx, ed.ID, func(v voting.Vote) error { h.Add(v); return nil })
	}()
	var summary *transparency.Summary
	logged := make(chan error, 1)
	go func() {
		var err error
		summary, err = s.logSummary(dctx, ed, final)
		logged <- err
	}()
	in, err := s.countsAndScores(ctx, q, ed)
	if err != nil {
		cancel()
	}
	for _, c := range []chan error{digest, logged} {
		if werr := <-c; err == nil && werr != nil {
			err = werr
			cancel()
		}
	}
	if err != nil {
		return in, err
	}
	in.Ledger = h.Summary()
	in.Transparency = summary
	return in, nil
}

// countsAndScores reads the part of an edition's results input that is not
// the ledger digest: the nominees with their counts, the tie decisions and
// the submitted scorecards.
func (s *Store) countsAndScores(ctx context.Context, q querier, ed prizes.Edition) (prizes.ResultsInput, error) {
	in := prizes.ResultsInput{Edition: ed}
	var err error
	if in.Nominees, err = s.nominees(ctx, q, ed); err != nil {
		return in, err
	}
	if in.Decisions, err = tieDecisions(ctx, q, ed.ID); err != nil {
		return in, err
	}
	if in.Scorecards, err = scorecards(ctx, q, ed.ID, 0, true); err != nil {
		return in, err
	}
	return in, nil
}

// publish computes the Winners and the results document, signs it, stores it
// and marks the Winners. The Champions it recomputes from the ledger must be
// those chosen when counting closed: a ledger changed since then is refused,
// not published.
func (s *Store) publish(ctx context.Context, tx pgx.Tx, ed prizes.Edition, details map[string]any) error {
	kid, key, err := resultKey(ctx, tx)
	if err != nil {
		return err
	}
	in, err := s.resultsInput(ctx, tx, ed, s.signFinal(ed.ID, kid, key))
	if err != nil {
		return err
	}
	in.PublishedAt = s.now()
	if in.AuditHead, err = auditHead(ctx, tx, ed.ID, true); err != nil {
		return err
	}
	res, err := prizes.BuildResults(in)
	if err != nil {
		return err
	}
	if len(res.WinnerIDs()) == 0 {
		return fmt.Errorf("no category has a Winner to publish: %w", prizes.ErrNotReady)
	}
	rows, _ := tx.Query(ctx, `SELECT id::text FROM projects WHERE edition_id = $1 AND status IN ('champion', 'winner')`, ed.ID)
	chosen, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	recounted := res.ChampionIDs()
	sort.Strings(chosen)
	sort.Strings(recounted)
	if !slices.Equal(chosen, recounted) {
		return fmt.Errorf("the ledger changed since the Champions were chosen (chosen %v, recounted %v): %w", chosen, recounted, prizes.ErrNotReady)
	}
	doc, err := res.Canonical()
	if err != nil {
		return err
	}
	signed := prizes.SignResults(doc, kid, key)
	sig, _ := base64.StdEncoding.DecodeString(signed.Signature)
	if _, err := tx.Exec(ctx, `INSERT INTO results (edition_id, document, digest, key_id, public_key, signature, published_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		ed.ID, doc, signed.Digest, kid, []byte(key.Public().(ed25519.PublicKey)), sig, res.PublishedAt); err != nil {
		return err
	}
	winners := res.WinnerIDs()
	ids := make([]uuid.UUID, len(winners))
	for i, w := range winners {
		ids[i] = uuid.MustParse(w)
	}
	if _, err := tx.Exec(ctx, `UPDATE projects SET status = 'winner', updated_at = now() WHERE id = ANY($1)`, ids); err != nil {
		return err
	}
	details["digest"] = signed.Digest
	details["key_id"] = kid
	details["winners"] = nonNil(winners)
	details["ledger"] = in.Ledger
	return queueResults(ctx, tx, ed)
}

// resultKeyLock serialises the creation of the first results signing key.
const resultKeyLock = 7_201_330_003

// resultKey returns the newest results signing key, creating one when
// there is none.
func resultKey(ctx context.Context, tx pgx.Tx) (string, ed25519.PrivateKey, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, resultKeyLock); err != nil {
		return "", nil, err
	}
	var kid string
	var seed []byte
	err := tx.QueryRow(ctx, `SELECT kid, private_key FROM result_keys ORDER BY created_at DESC LIMIT 1`).Scan(&kid, &seed)
	if err == nil {
		if len(seed) != ed25519.SeedSize {
			return "", nil, fmt.Errorf("results key %q: bad seed length %d", kid, len(seed))
		}
		return kid, ed25519.NewKeyFromSeed(seed), nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", nil, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, fmt.Errorf("generate results key: %w", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return "", nil, fmt.Errorf("generate results key id: %w", err)
	}
	kid = "results-" + hex.EncodeToString(id)
	if _, err := tx.Exec(ctx, `INSERT INTO result_keys (kid, private_key) VALUES ($1, $2)`, kid, []byte(key.Seed())); err != nil {
		return "", nil, err
	}
	return kid, key, nil
}

// Results returns an edition's signed results. It returns
// prizes.ErrNotPublished before publication, and voting.ErrUnknownEdition
// for no edition.
func (s *Store) Results(ctx context.Context, edition string) (prizes.SignedResults, error) {
	r, err := readResults(ctx, s.pool, edition)
	if errors.Is(err, prizes.ErrNotPublished) {
		if _, err := loadEdition(ctx, s.pool, edition, false); err != nil {
			return prizes.SignedResults{}, fmt.Errorf("read results: %w", database.Translate(err))
		}
	}
	if err != nil {
		return prizes.SignedResults{}, fmt.Errorf("read results: %w", database.Translate(err))
	}
	return r, nil
}

func readResults(ctx context.Context, q querier, edition string) (prizes.SignedResults, error) {
	var doc, pub, sig []byte
	var r prizes.SignedResults
	err := q.QueryRow(ctx, `SELECT document, digest, key_id, public_key, signature FROM results WHERE edition_id = $1`, edition).
		Scan(&doc, &r.Digest, &r.KeyID, &pub, &sig)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("edition %q: %w", edition, prizes.ErrNotPublished)
	}
	if err != nil {
		return r, err
	}
	r.Document = doc
	r.Algorithm = "Ed25519"
	r.PublicKey = base64.StdEncoding.EncodeToString(pub)
	r.Signature = base64.StdEncoding.EncodeToString(sig)
	return r, nil
}

// Verification is the outcome of recomputing published results.
type Verification struct {
	Edition string `json:"edition"`
	// SignatureValid reports that the stored document verifies with the
	// stored signature, and that the key is this deployment's results key.
	SignatureValid bool `json:"signature_valid"`
	// Matches reports that the document recomputed from the ledger and the
	// jury scores is byte for byte the signed one.
	Matches     bool     `json:"matches"`
	Digest      string   `json:"digest"`
	Differences []string `json:"differences"`
}

// OK reports whether the published results stand.
func (v Verification) OK() bool { return v.SignatureValid && v.Matches }

// VerifyResults recomputes an edition's results from the ledger, the tie
// decisions and the jury scores, and compares them with the signed document.
// It returns prizes.ErrNotPublished before publication.
func (s *Store) VerifyResults(ctx context.Context, edition string) (Verification, error) {
	signed, err := s.Results(ctx, edition)
	if err != nil {
		return Verification{}, fmt.Errorf("verify results: %w", err)
	}
	v := Verification{Edition: edition, Digest: signed.Digest, Differences: []string{}}
	v.SignatureValid = signed.Verify() == nil
	var known []byte
	err = s.pool.QueryRow(ctx, `SELECT private_key FROM result_keys WHERE kid = $1`, signed.KeyID).Scan(&known)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		v.SignatureValid = false
		v.Differences = append(v.Differences, fmt.Sprintf("key %s is not a results key of this deployment", signed.KeyID))
	case err != nil:
		return Verification{}, fmt.Errorf("verify results of %q: %w", edition, database.Translate(err))
	case len(known) == ed25519.SeedSize &&
		base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(known).Public().(ed25519.PublicKey)) != signed.PublicKey:
		v.SignatureValid = false
		v.Differences = append(v.Differences, fmt.Sprintf("the published public key is not key %s", signed.KeyID))
	}
	if !v.SignatureValid && len(v.Differences) == 0 {
		v.Differences = append(v.Differences, "the signature does not verify against the document")
	}
	published, err := signed.Results()
	if err != nil {
		v.Differences = append(v.Differences, err.Error())
		return v, nil
	}
	ed, err := loadEdition(ctx, s.pool, edition, false)
	if err != nil {
		return Verification{}, fmt.Errorf("verify results: %w", database.Translate(err))
	}
	pub, _ := base64.StdEncoding.DecodeString(signed.PublicKey)
	in, err := s.resultsInput(ctx, s.pool, ed, s.storedFinal(edition, signed.KeyID, pub))
	if err != nil {
		return Verification{}, fmt.Errorf("verify results of %q: %w", edition, database.Translate(err))
	}
	in.PublishedAt, in.AuditHead = published.PublishedAt, published.AuditHead
	var content []string
	if ed.RulesHash != "" && ed.RulesHash != published.RulesHash {
		content = append(content, fmt.Sprintf("rules hash frozen when voting opened %s != published %s", ed.RulesHash, published.RulesHash))
	}
	again, err := prizes.BuildResults(in)
	if err != nil {
		v.Differences = append(v.Differences, append(content, "the results cannot be recomputed: "+err.Error())...)
		return v, nil
	}
	doc, err := again.Canonical()
	if err != nil {
		return Verification{}, fmt.Errorf("verify results of %q: %w", edition, err)
	}
	diffs, err := prizes.DiffDocuments(signed.Document, doc, 50)
	if err != nil {
		return Verification{}, fmt.Errorf("verify results of %q: %w", edition, err)
	}
	content = append(content, diffs...)
	if len(diffs) == 0 && string(doc) != string(signed.Document) {
		content = append(content, "the recomputed document has the same content in different bytes")
	}
	v.Matches = len(content) == 0
	v.Differences = append(v.Differences, content...)
	return v, nil
}
