-- Editions, their categories and projects: the catalogue the vote path holds
-- in memory. Any change notifies 'prizes_catalogue' so every node reloads.
CREATE TABLE editions (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL,
    phase       text NOT NULL DEFAULT 'draft'
                CHECK (phase IN ('draft','submission','review','voting','counting','jury','published')),
    rules       jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE categories (
    edition_id  text NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$'),
    name        text NOT NULL,
    position    int  NOT NULL DEFAULT 0,
    PRIMARY KEY (edition_id, code)
);

CREATE TABLE projects (
    id            uuid PRIMARY KEY,
    edition_id    text NOT NULL,
    category_code text NOT NULL,
    title         text NOT NULL,
    organisation  text NOT NULL DEFAULT '',
    country       text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft','submitted','nominated','rejected','withdrawn','champion','winner')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (edition_id, category_code) REFERENCES categories(edition_id, code) ON DELETE CASCADE
);
CREATE INDEX projects_edition_category ON projects (edition_id, category_code);

CREATE FUNCTION prizes_catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('prizes_catalogue', '');
    RETURN NULL;
END $$;

CREATE TRIGGER editions_changed AFTER INSERT OR UPDATE OR DELETE ON editions
    FOR EACH STATEMENT EXECUTE FUNCTION prizes_catalogue_changed();
CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION prizes_catalogue_changed();
CREATE TRIGGER projects_changed AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION prizes_catalogue_changed();

-- Accounts: voters, project owners, jurors and organisers alike. Ids are dense
-- integers on purpose: the vote path's exact deduplication is one bit per
-- voter and ballot slot, addressed by this id.
CREATE TABLE accounts (
    id            bigserial PRIMARY KEY,
    email         text UNIQUE,
    display_name  text NOT NULL DEFAULT '',
    country       text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    verified_at   timestamptz
);

-- Token signing keys, shared by every API node through the database.
CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    private_key  bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz
);

-- The votes ledger: the system of record. Rows are never deleted; fraud review
-- changes status. The primary key makes the flusher idempotent; the unique
-- (edition, voter, slot) key is the final guard against a second vote in the
-- same ballot slot (the slot is the category code under the default rule).
CREATE TABLE votes (
    id             uuid PRIMARY KEY,
    edition_id     text NOT NULL,
    voter_id       bigint NOT NULL,
    project_id     uuid NOT NULL,
    category_code  text NOT NULL,
    slot           text NOT NULL,
    status         text NOT NULL CHECK (status IN ('counted','flagged','rejected','invalidated')),
    reasons        text[] NOT NULL DEFAULT '{}',
    cast_at        timestamptz NOT NULL,
    client_net     text NOT NULL DEFAULT '',
    user_agent     text NOT NULL DEFAULT '',
    device_hint    text NOT NULL DEFAULT '',
    account_age_s  bigint NOT NULL DEFAULT 0,
    committed_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (edition_id, voter_id, slot)
);
