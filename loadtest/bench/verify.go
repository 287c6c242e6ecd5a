package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// checkFlush waits until the flusher has drained the vote log and the live
// counters agree with the ledger, as prizes check reports.
func (h *harness) checkFlush(ctx context.Context, acc *loadtest.Stats) error {
	h.logf("waiting for the flush")
	t := time.Now()
	deadline := t.Add(h.cfg.FlushTimeout)
	var out stack.Check
	for {
		var err error
		if out, err = h.check(ctx, 30*time.Second); err != nil {
			return err
		}
		if out.Converged && out.Pending+out.Unread == 0 && out.LedgerTotal >= acc.AcceptedTotal() {
			break
		}
		if time.Now().After(deadline) {
			h.problem("the flush did not finish in %s: pending %d, unread %d, ledger %d of %d accepted",
				h.cfg.FlushTimeout, out.Pending, out.Unread, out.LedgerTotal, acc.AcceptedTotal())
			break
		}
		time.Sleep(time.Second)
	}
	c := &h.rep.Correctness
	c.FlushWait = time.Since(t)
	c.Converged = out.Converged
	c.LiveTotal = out.LiveTotal
	h.logf("flushed in %s: ledger %d, live %d", c.FlushWait.Round(time.Millisecond), out.LedgerTotal, out.LiveTotal)
	return nil
}

// checkMemory measures what the votes left in Redis once flushed: at once,
// and again once every key with a time to live (rate limit counters, which
// belong to voters active in the last minute rather than to votes) has
// expired.
func (h *harness) checkMemory(ctx context.Context, votes int64) error {
	// Clients that were busy during the load hold buffers that Redis shrinks
	// once they are idle; a short pause keeps those out of the figure.
	time.Sleep(2 * time.Second)
	m := &h.rep.Memory
	m.Votes = votes
	at, err := h.redis.memory(ctx)
	if err != nil {
		return err
	}
	m.AtFlush = at.Used
	if votes > 0 {
		m.AtFlushPerVote = float64(at.Used-m.Before) / float64(votes)
	}
	if m.AtFlushKeys, err = h.redis.keyClasses(ctx, h.prefix); err != nil {
		h.problem("%v", err)
	}
	n, longest, err := h.redis.expiring(ctx, h.prefix)
	if err != nil {
		h.problem("%v", err)
	}
	if n > 0 {
		wait := min(longest+time.Second, 2*time.Minute)
		h.logf("redis: %.2f bytes per vote now; waiting %s for %d keys with a time to live to expire", m.AtFlushPerVote, wait.Round(time.Second), n)
		time.Sleep(wait)
	}
	// Scanning the keys also deletes those that have expired but were not
	// reclaimed yet.
	if m.Keys, err = h.redis.keyClasses(ctx, h.prefix); err != nil {
		h.problem("%v", err)
	}
	after, err := h.redis.memory(ctx)
	if err != nil {
		return err
	}
	m.After, m.DatasetAfter = after.Used, after.Dataset
	m.Delta = m.After - m.Before
	if votes > 0 {
		m.BytesPerVote = float64(m.Delta) / float64(votes)
	}
	h.logf("redis: used_memory %d -> %d bytes, %.2f bytes per accepted vote", m.Before, m.After, m.BytesPerVote)
	return nil
}

// checkLedger compares the 202s with prizes recount, per project, and looks
// up every receipt in the ledger.
func (h *harness) checkLedger(ctx context.Context, acc *loadtest.Stats) error {
	rc, err := h.prizes.Recount(ctx, h.cfg.Edition)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	c := &h.rep.Correctness
	c.Accepted = acc.AcceptedTotal()
	c.LedgerTotal = rc.Total
	c.TransportErrors = acc.TransportErrors
	recounted := rc.ByProject
	ids := map[string]bool{}
	for id := range recounted {
		ids[id] = true
	}
	for id := range acc.Accepted {
		ids[id] = true
	}
	c.ProjectsCompared = len(ids)
	c.Mismatches = []ProjectMismatch{}
	for id := range ids {
		if acc.Accepted[id] != recounted[id] {
			c.Mismatches = append(c.Mismatches, ProjectMismatch{ProjectID: id, Accepted: acc.Accepted[id], Recounted: recounted[id]})
		}
	}
	slices.SortFunc(c.Mismatches, func(a, b ProjectMismatch) int { return strings.Compare(a.ProjectID, b.ProjectID) })

	c.Receipts = int64(len(acc.Receipts))
	unique := map[string]struct{}{}
	for _, r := range acc.Receipts {
		unique[r] = struct{}{}
	}
	c.UniqueReceipts = int64(len(unique))
	if c.ReceiptsInLedger, err = receiptsInLedger(ctx, h.db.URL, h.cfg.Edition, acc.Receipts); err != nil {
		h.problem("%v", err)
	}
	c.OK = c.Accepted == c.LedgerTotal && len(c.Mismatches) == 0 && c.Converged &&
		c.Receipts == c.Accepted && c.UniqueReceipts == c.Receipts && c.ReceiptsInLedger == c.Receipts
	h.logf("correctness: %d accepted, %d in the ledger, %d project mismatches, %d of %d receipts found: ok=%v",
		c.Accepted, c.LedgerTotal, len(c.Mismatches), c.ReceiptsInLedger, c.Receipts, c.OK)
	return nil
}
