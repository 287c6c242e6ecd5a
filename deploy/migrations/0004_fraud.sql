-- Fraud review: the cases the analyser finds, the votes each one is about,
-- organisers' decisions on them, and the live tally changes those decisions
-- owe Redis. Votes keep their rows; a decision changes their status.

-- A vote's status and reasons as it was recorded, kept the first time a
-- review changes them (NULL until then, when status and reasons are still
-- the recorded ones), so that clearing a case restores them exactly. Only
-- votes recorded as counted or flagged are ever reviewed. The columns are
-- filled by review, not by the flusher, so the ledger's COPY is unchanged.
ALTER TABLE votes
    ADD COLUMN ingest_status  text CHECK (ingest_status IN ('counted','flagged')),
    ADD COLUMN ingest_reasons text[];

-- A case is one finding of the analyser. Its id is the analyser's, stable
-- across runs on a growing ledger, so a later run updates the case rather
-- than adding another; a decided case keeps its state and its votes.
CREATE TABLE fraud_cases (
    edition_id  text NOT NULL REFERENCES editions(id),
    id          text NOT NULL CHECK (id <> ''),
    kind        text NOT NULL,
    score       double precision NOT NULL DEFAULT 0,
    summary     text NOT NULL DEFAULT '',
    signals     jsonb NOT NULL DEFAULT '{}',
    timeline    jsonb NOT NULL DEFAULT '[]',
    accounts    bigint[] NOT NULL DEFAULT '{}',
    projects    text[] NOT NULL DEFAULT '{}',
    found_at    timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open','invalidated','cleared')),
    PRIMARY KEY (edition_id, id)
);
CREATE INDEX fraud_cases_state ON fraud_cases (edition_id, state);

-- The votes of a case. A vote may belong to several cases; a run of the
-- analyser only ever adds votes to an open case.
CREATE TABLE fraud_case_votes (
    edition_id  text NOT NULL,
    case_id     text NOT NULL,
    vote_id     uuid NOT NULL REFERENCES votes(id),
    PRIMARY KEY (edition_id, case_id, vote_id),
    FOREIGN KEY (edition_id, case_id) REFERENCES fraud_cases(edition_id, id)
);
CREATE INDEX fraud_case_votes_vote ON fraud_case_votes (vote_id);

-- Organisers' decisions, append-only: the latest decision of a case is its
-- state, and every earlier one stays on record.
CREATE TABLE fraud_decisions (
    id          bigserial PRIMARY KEY,
    edition_id  text NOT NULL,
    case_id     text NOT NULL,
    decision    text NOT NULL CHECK (decision IN ('invalidate','clear')),
    reason      text NOT NULL CHECK (reason <> ''),
    decided_by  bigint NOT NULL REFERENCES accounts(id),
    decided_at  timestamptz NOT NULL,
    -- votes is how many votes changed status, by how much each project's
    -- count moved ({"project id": -3, ...}).
    votes       int NOT NULL,
    deltas      jsonb NOT NULL DEFAULT '{}',
    FOREIGN KEY (edition_id, case_id) REFERENCES fraud_cases(edition_id, id)
);
CREATE INDEX fraud_decisions_case ON fraud_decisions (edition_id, case_id, id);
CREATE TRIGGER fraud_decisions_append_only BEFORE UPDATE OR DELETE ON fraud_decisions
    FOR EACH ROW EXECUTE FUNCTION prizes_append_only();
CREATE TRIGGER fraud_decisions_no_truncate BEFORE TRUNCATE ON fraud_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION prizes_append_only();

-- A decision that moved any project's count owes the live tally in Redis
-- its deltas: the row is written in the decision's transaction, the deltas
-- are applied to Redis after it commits (idempotently, under the decision's
-- id), and applied_at is set then. A row left unapplied means Redis could
-- not be reached; the next attempt applies it.
CREATE TABLE fraud_tally_adjustments (
    decision_id bigint PRIMARY KEY REFERENCES fraud_decisions(id),
    edition_id  text NOT NULL,
    applied_at  timestamptz
);
CREATE INDEX fraud_tally_adjustments_pending ON fraud_tally_adjustments (edition_id, decision_id)
    WHERE applied_at IS NULL;
