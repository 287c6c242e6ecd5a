-- Notifications go through a durable outbox: a lifecycle change writes its
-- messages here in its own transaction, so a change that commits has its mail
-- queued and one that fails has none. Workers on any node claim due rows
-- with FOR UPDATE SKIP LOCKED, send them, and mark them sent; a failed send
-- is retried later with backoff and never dropped. dedup_key makes enqueuing
-- idempotent: a change or a sweep that runs twice queues one message.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    -- The recipient: an account (its address is read when the message is
    -- sent, so an erased account is never mailed), or an address for an
    -- invitation to someone who may have no account yet.
    account_id      bigint REFERENCES accounts(id),
    email           text NOT NULL DEFAULT '',
    -- language is the one the change was made in; the account's own
    -- language, when it has one, wins at send time.
    language        text NOT NULL DEFAULT '',
    payload         jsonb NOT NULL DEFAULT '{}',
    dedup_key       text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    -- skipped says the message was settled without sending: its recipient
    -- had no address any more (an erased account).
    skipped         boolean NOT NULL DEFAULT false,
    last_error      text NOT NULL DEFAULT '',
    CHECK (account_id IS NOT NULL OR email <> '')
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- The language an account last used on the site; mail to it is written in
-- that language ('' means none recorded: the change's language, or English).
ALTER TABLE accounts ADD COLUMN language text NOT NULL DEFAULT '';

-- Invitations to a role, sent by organisers to an address. Only a hash of
-- the token is kept; the token itself is in the invitation's mail alone.
-- An invitation is used once, before it expires, unless it was revoked.
CREATE TABLE invitations (
    id            uuid PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    email         text NOT NULL,
    role          text NOT NULL CHECK (role IN ('juror','organiser')),
    edition_id    text NOT NULL DEFAULT '',
    category_code text NOT NULL DEFAULT '',
    language      text NOT NULL DEFAULT '',
    invited_by    bigint NOT NULL REFERENCES accounts(id),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoked_by    bigint REFERENCES accounts(id),
    accepted_at   timestamptz,
    accepted_by   bigint REFERENCES accounts(id),
    CHECK ((role = 'organiser') = (edition_id = '' AND category_code = ''))
);
CREATE INDEX invitations_created ON invitations (created_at);
