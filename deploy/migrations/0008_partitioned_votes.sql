-- The votes ledger, partitioned so that it stays fast as it grows across
-- editions: by edition (LIST), then by voter within an edition (HASH, eight
-- partitions). Every query on the ledger names its edition, so it reads that
-- edition's partitions alone; an old edition's partitions go cold and can be
-- detached for archiving (docs/runbook.md).
--
-- PostgreSQL only enforces a unique constraint on a partitioned table when it
-- holds every partition key column, so the ledger's keys become:
--   - PRIMARY KEY (id, edition_id, voter_id): the flusher's idempotence. A
--     replayed batch carries the same id, edition and voter, and is refused
--     (ON CONFLICT DO NOTHING skips it). Two different voters' votes with the
--     same random 122-bit id are no longer refused: ids are the API's UUIDs,
--     never client input, and the slot key below refuses any replay anyway.
--     The id leads the key so that a lookup by id alone is one index probe
--     per partition.
--   - UNIQUE (edition_id, voter_id, slot): one vote per voter and slot, as
--     before, and local to one hash partition.
--   - (edition_id, leaf_index) is indexed, no longer unique: the log head's
--     row lock numbers each edition's votes densely (0005), and
--     `prizes recount --verify` checks the numbering.
-- fraud_case_votes loses its foreign key to votes(id), which a partitioned
-- table cannot back: the analyser only adds votes it has read from the
-- ledger (antifraud/postgres), and votes are never deleted.
--
-- An edition's partitions are made by votes_add_edition, which a trigger
-- runs when the edition is created, so they exist before its first vote.
-- Votes of an edition with no partitions (an edition the editions table does
-- not hold) land in votes_default; votes_add_edition moves them out when
-- their edition gets its partitions.

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
    CONSTRAINT votes_pkey PRIMARY KEY (id, edition_id, voter_id),
    CONSTRAINT votes_slot_key UNIQUE (edition_id, voter_id, slot)
) PARTITION BY LIST (edition_id);
CREATE INDEX votes_leaf ON votes (edition_id, leaf_index) WHERE leaf_index IS NOT NULL;
CREATE TABLE votes_default PARTITION OF votes DEFAULT;

-- votes_partition_name is the name of an edition's partition of votes: the
-- edition id with '-' as '_' when short enough, else a prefix of it and a
-- hash under another prefix, so that two editions never share a name and
-- the names of its hash partitions (_p0 ...) stay under 63 bytes.
CREATE FUNCTION votes_partition_name(edition text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN length(edition) <= 40 THEN 'votes_' || translate(edition, '-', '_')
        ELSE 'votesh_' || left(translate(edition, '-', '_'), 40) || '_' || left(md5(edition), 8) END
$$;

-- votes_add_edition gives an edition its partitions of votes: one LIST
-- partition, itself split by HASH (voter_id) into eight, built apart and
-- then attached (which takes a SHARE UPDATE EXCLUSIVE lock on votes, so the
-- flusher goes on writing other editions meanwhile). Votes of the edition
-- that wait in votes_default are moved in. It returns false, changing
-- nothing, when a table of that name exists already (the edition has its
-- partitions, or they were detached for archiving).
CREATE FUNCTION votes_add_edition(edition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    parent text := votes_partition_name(edition);
    parts constant int := 8;
BEGIN
    IF to_regclass(quote_ident(parent)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE votes INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (voter_id)', parent);
    FOR i IN 0 .. parts - 1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
            parent || '_p' || i, parent, parts, i);
    END LOOP;
    EXECUTE format('WITH moved AS (DELETE FROM votes_default WHERE edition_id = %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
        edition, parent);
    EXECUTE format('ALTER TABLE votes ATTACH PARTITION %I FOR VALUES IN (%L)', parent, edition);
    RETURN true;
END $$;

CREATE FUNCTION votes_partition_edition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM votes_add_edition(NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER editions_votes_partitions AFTER INSERT ON editions
    FOR EACH ROW EXECUTE FUNCTION votes_partition_edition();

-- Every edition gets its partitions, and so does any edition the ledger
-- holds votes of without an editions row; then the rows move in.
SELECT votes_add_edition(e) FROM (
    SELECT id AS e FROM editions UNION SELECT DISTINCT edition_id FROM votes_unpartitioned
) x ORDER BY e;
INSERT INTO votes SELECT * FROM votes_unpartitioned;
DROP TABLE votes_unpartitioned;
ANALYZE votes;
