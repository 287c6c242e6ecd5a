-- The votes ledger, partitioned by edition (LIST, one partition per edition)
-- so that it stays fast as it grows across editions. Every query on the
-- ledger names its edition, so it reads that edition's partition alone; the
-- flusher writes into the edition that is voting; an old edition's partition
-- goes cold as a whole and can be detached for archiving (docs/runbook.md).
-- There is no second level (by time or hash) within an edition: measured at
-- 10 million votes (docs/ledger-scale.md), eight hash partitions per edition
-- made no read faster and a flush batch three to four times slower, and they
-- cost the ledger its unique leaf index and the case votes' foreign key.
--
-- PostgreSQL only enforces a unique constraint on a partitioned table when it
-- holds the partition key, edition_id, which every key of the ledger can:
--   - PRIMARY KEY (id, edition_id): the flusher's idempotence. A replayed
--     batch carries the same id and edition, and is refused (ON CONFLICT DO
--     NOTHING skips it), as is a second vote with the id of a vote of the
--     same edition, whatever its voter. The same id in two editions is not
--     refused, as it was by PRIMARY KEY (id): ids are the API's version 7
--     UUIDs, never client input, and a replay carries its vote's edition.
--     The id leads the key so that a lookup by id alone is one index probe
--     per partition.
--   - UNIQUE (edition_id, voter_id, slot): one vote per voter and slot.
--   - UNIQUE (edition_id, leaf_index) WHERE leaf_index IS NOT NULL: one vote
--     per leaf of an edition's transparency log (0005).
-- fraud_case_votes, which holds the case's edition, refers to its votes by
-- (vote_id, edition_id).
--
-- An edition's partition is made by votes_add_edition, which a trigger runs
-- when the edition is created, so it exists before its first vote. Votes of
-- an edition with no partition (an edition the editions table does not
-- hold) land in votes_default; votes_add_edition moves them out when their
-- edition gets its partition.

-- The current table keeps its rows until they are moved, under other names.
ALTER TABLE fraud_case_votes DROP CONSTRAINT fraud_case_votes_vote_id_fkey;
ALTER TABLE votes RENAME TO votes_unpartitioned;
ALTER INDEX votes_pkey RENAME TO votes_unpartitioned_pkey;
ALTER INDEX votes_edition_id_voter_id_slot_key RENAME TO votes_unpartitioned_slot_key;
ALTER INDEX votes_leaf RENAME TO votes_unpartitioned_leaf;

-- LIKE keeps every column (in order), default, NOT NULL and CHECK of the
-- ledger, whichever migration added them.
CREATE TABLE votes (
    LIKE votes_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    CONSTRAINT votes_pkey PRIMARY KEY (id, edition_id),
    CONSTRAINT votes_slot_key UNIQUE (edition_id, voter_id, slot)
) PARTITION BY LIST (edition_id);
CREATE UNIQUE INDEX votes_leaf ON votes (edition_id, leaf_index) WHERE leaf_index IS NOT NULL;
CREATE TABLE votes_default PARTITION OF votes DEFAULT;

-- votes_partition_name is the name of an edition's partition of votes: the
-- edition id with '-' as '_' when short enough, else a prefix of it and a
-- hash under another prefix, so that two editions never share a name and
-- the names PostgreSQL derives from it for the partition's indexes stay
-- readable within 63 bytes.
CREATE FUNCTION votes_partition_name(edition text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN length(edition) <= 40 THEN 'votes_' || translate(edition, '-', '_')
        ELSE 'votesh_' || left(translate(edition, '-', '_'), 40) || '_' || left(md5(edition), 8) END
$$;

-- votes_add_edition gives an edition its partition of votes, built apart
-- and then attached (which takes a SHARE UPDATE EXCLUSIVE lock on votes, so
-- the flusher goes on writing other editions meanwhile). Votes of the
-- edition that wait in votes_default are moved in first; the edition's case
-- votes, which may refer to them, are set aside meanwhile (PostgreSQL
-- refuses to delete a referred row even to insert it again in the same
-- statement). It returns false, changing nothing, when a table of that name
-- exists already (the edition has its partition, or it was detached for
-- archiving).
CREATE FUNCTION votes_add_edition(edition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    part text := votes_partition_name(edition);
    held fraud_case_votes[];
BEGIN
    IF to_regclass(quote_ident(part)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE votes INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    IF EXISTS (SELECT 1 FROM votes_default WHERE edition_id = edition) THEN
        WITH gone AS (DELETE FROM fraud_case_votes f WHERE f.edition_id = edition RETURNING f)
        SELECT array_agg(f) INTO held FROM gone;
        EXECUTE format('WITH moved AS (DELETE FROM votes_default WHERE edition_id = %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
            edition, part);
    END IF;
    EXECUTE format('ALTER TABLE votes ATTACH PARTITION %I FOR VALUES IN (%L)', part, edition);
    INSERT INTO fraud_case_votes SELECT * FROM unnest(held);
    RETURN true;
END $$;

CREATE FUNCTION votes_partition_edition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM votes_add_edition(NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER editions_votes_partitions AFTER INSERT ON editions
    FOR EACH ROW EXECUTE FUNCTION votes_partition_edition();

-- Every edition gets its partition, and so does any edition the ledger
-- holds votes of without an editions row; then the rows move in, and the
-- case votes refer to them again.
SELECT votes_add_edition(e) FROM (
    SELECT id AS e FROM editions UNION SELECT DISTINCT edition_id FROM votes_unpartitioned
) x ORDER BY e;
INSERT INTO votes SELECT * FROM votes_unpartitioned;
DROP TABLE votes_unpartitioned;
ALTER TABLE fraud_case_votes ADD CONSTRAINT fraud_case_votes_vote_fkey
    FOREIGN KEY (vote_id, edition_id) REFERENCES votes (id, edition_id);
ANALYZE votes;
