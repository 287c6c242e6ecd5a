-- The prize lifecycle: rules frozen when voting opens, the phase schedule,
-- entries with their owners, review, Champion results and tie decisions, the
-- jury, signed results and the hash-chained audit log.

-- editions.rules stays the one rules document; the vote path reads its
-- one_per and public_tally keys. rules_hash is set when voting opens and the
-- rules freeze.
ALTER TABLE editions
    ADD COLUMN rules_hash      text NOT NULL DEFAULT '',
    ADD COLUMN rules_frozen_at timestamptz,
    ADD COLUMN schedule        jsonb NOT NULL DEFAULT '{}';

-- An entry is a project row from its first draft. org_key is the normalised
-- organisation name that makes "one entry per organisation per category"
-- an index rather than a race; withdrawn entries free it.
ALTER TABLE projects
    ADD COLUMN owner_id      bigint REFERENCES accounts(id),
    ADD COLUMN summary       text NOT NULL DEFAULT '',
    ADD COLUMN stakeholder   text NOT NULL DEFAULT '',
    ADD COLUMN links         text[] NOT NULL DEFAULT '{}',
    ADD COLUMN org_key       text NOT NULL DEFAULT '',
    ADD COLUMN status_reason text NOT NULL DEFAULT '',
    ADD COLUMN submitted_at  timestamptz;
CREATE UNIQUE INDEX projects_one_per_organisation ON projects (edition_id, category_code, org_key)
    WHERE org_key <> '' AND status <> 'withdrawn';
CREATE INDEX projects_owner ON projects (owner_id, edition_id) WHERE owner_id IS NOT NULL;
CREATE INDEX projects_edition_status ON projects (edition_id, status);

-- The Champion result computed when counting closes, as served publicly.
CREATE TABLE champion_results (
    edition_id  text PRIMARY KEY REFERENCES editions(id),
    document    text NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);

-- An organiser's order for projects tied at a cut, with the reason.
CREATE TABLE tie_decisions (
    edition_id    text NOT NULL,
    stage         text NOT NULL CHECK (stage IN ('champions', 'winners')),
    category_code text NOT NULL,
    ordered       uuid[] NOT NULL,
    reason        text NOT NULL,
    decided_by    bigint NOT NULL,
    decided_at    timestamptz NOT NULL,
    PRIMARY KEY (edition_id, stage, category_code),
    FOREIGN KEY (edition_id, category_code) REFERENCES categories(edition_id, code)
);

CREATE TABLE jury_assignments (
    edition_id    text NOT NULL,
    juror_id      bigint NOT NULL REFERENCES accounts(id),
    category_code text NOT NULL,
    assigned_at   timestamptz NOT NULL,
    PRIMARY KEY (edition_id, juror_id, category_code),
    FOREIGN KEY (edition_id, category_code) REFERENCES categories(edition_id, code)
);
CREATE INDEX jury_assignments_category ON jury_assignments (edition_id, category_code);

CREATE TABLE jury_conflicts (
    edition_id  text NOT NULL REFERENCES editions(id),
    juror_id    bigint NOT NULL REFERENCES accounts(id),
    project_id  uuid NOT NULL REFERENCES projects(id),
    reason      text NOT NULL,
    declared_at timestamptz NOT NULL,
    PRIMARY KEY (edition_id, juror_id, project_id)
);

-- A juror's scores for one Champion: criterion key -> 1..10. A draft until
-- submitted_at is set; final afterwards.
CREATE TABLE jury_scores (
    edition_id   text NOT NULL REFERENCES editions(id),
    juror_id     bigint NOT NULL REFERENCES accounts(id),
    project_id   uuid NOT NULL REFERENCES projects(id),
    scores       jsonb NOT NULL DEFAULT '{}',
    comment      text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL,
    submitted_at timestamptz,
    PRIMARY KEY (edition_id, juror_id, project_id)
);

-- Results signing keys, apart from the token keys: token keys rotate and
-- retire, while a results signature must verify for as long as anyone cares.
CREATE TABLE result_keys (
    kid         text PRIMARY KEY,
    private_key bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The signed results: document holds the exact signed bytes.
CREATE TABLE results (
    edition_id   text PRIMARY KEY REFERENCES editions(id),
    document     bytea NOT NULL,
    digest       text NOT NULL,
    key_id       text NOT NULL REFERENCES result_keys(kid),
    public_key   bytea NOT NULL,
    signature    bytea NOT NULL,
    published_at timestamptz NOT NULL
);

-- The audit log: one hash chain per edition. details is text, not jsonb, so
-- the hashed bytes are stored exactly. audit_heads keeps the last link apart
-- from the log, so removing entries from its end shows too.
CREATE TABLE audit_log (
    edition_id text NOT NULL,
    seq        bigint NOT NULL,
    at         timestamptz NOT NULL,
    actor_id   bigint NOT NULL,
    actor_role text NOT NULL,
    action     text NOT NULL,
    subject    text NOT NULL,
    details    text NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    PRIMARY KEY (edition_id, seq)
);
CREATE TABLE audit_heads (
    edition_id text PRIMARY KEY,
    seq        bigint NOT NULL,
    hash       text NOT NULL
);

-- The log and the results are append-only for everyone who goes through the
-- application; the hash chain and the signature catch whoever does not.
CREATE FUNCTION prizes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION prizes_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION prizes_append_only();
CREATE TRIGGER results_append_only BEFORE UPDATE OR DELETE ON results
    FOR EACH ROW EXECUTE FUNCTION prizes_append_only();
CREATE TRIGGER results_no_truncate BEFORE TRUNCATE ON results
    FOR EACH STATEMENT EXECUTE FUNCTION prizes_append_only();
