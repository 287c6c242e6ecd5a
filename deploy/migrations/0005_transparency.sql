-- The transparency log of the ledger: one leaf per vote, numbered in the order
-- the flusher committed the votes. The flusher numbers a batch's new votes
-- from the edition's log head in the same transaction that inserts them, with
-- the head's row locked, so each vote gets exactly one leaf however often its
-- batch is replayed and however many flushers run. leaf_index is NULL only
-- for votes written with the log turned off.
ALTER TABLE votes ADD COLUMN leaf_index bigint CHECK (leaf_index >= 0);
CREATE UNIQUE INDEX votes_leaf ON votes (edition_id, leaf_index) WHERE leaf_index IS NOT NULL;

-- An edition's log head: its size and the compact range of its Merkle tree
-- (the roots of the perfect subtrees covering it, left to right), from which
-- the root and the next appends are computed.
CREATE TABLE log_heads (
    edition_id  text PRIMARY KEY,
    size        bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    hashes      bytea[] NOT NULL DEFAULT '{}'
);

-- Every signed checkpoint, as the exact note bytes served. Never changed.
CREATE TABLE log_checkpoints (
    edition_id  text NOT NULL,
    size        bigint NOT NULL CHECK (size >= 0),
    root        bytea NOT NULL,
    note        bytea NOT NULL,
    signed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (edition_id, size)
);
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION prizes_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION prizes_append_only();
