-- Entries' files: an entry's logo and its attachments. The bytes are blobs in
-- the blob store (a local directory or an S3 bucket), named by the SHA-256
-- of their content; a row says which entry has which blob, in which order,
-- with what name and type. A blob no row refers to is removed by the sweep
-- (see docs/files.md), so rows never point at a missing blob and removing a
-- row never removes a blob another entry shares.
CREATE TABLE entry_files (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('logo', 'attachment')),
    -- position orders the attachments from 1; the logo's is 0.
    position     int NOT NULL CHECK ((kind = 'logo') = (position = 0) AND position BETWEEN 0 AND 5),
    name         text NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size         bigint NOT NULL CHECK (size > 0),
    hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    width        int NOT NULL DEFAULT 0,
    height       int NOT NULL DEFAULT 0,
    thumb_hash   text NOT NULL DEFAULT '' CHECK (thumb_hash = '' OR thumb_hash ~ '^[0-9a-f]{64}$'),
    thumb_width  int NOT NULL DEFAULT 0,
    thumb_height int NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- One logo per entry, one file per place, one copy of a content per
    -- kind. Places are checked at the end of each statement, so that
    -- removing an attachment can move the later ones up in one statement.
    UNIQUE (project_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    UNIQUE (project_id, kind, hash)
);
-- The sweep and the downloads look blobs up by hash, as the file or as its
-- thumbnail.
CREATE INDEX entry_files_hash ON entry_files (hash);
CREATE INDEX entry_files_thumb_hash ON entry_files (thumb_hash) WHERE thumb_hash <> '';
