-- Identity: accounts found by a keyed hash of their canonical address, role
-- grants, sign-in codes, refresh token families, a short account history,
-- shared secrets, and signing keys that activate after a delay. Account ids
-- stay dense bigserial: the vote path's dedup bitmap is addressed by them.

-- An account is found by email_hash, a keyed hash of its canonical address,
-- which outlives an erasure so that an erased person signing up again gets
-- the same id back (and cannot vote twice). erased_at marks an account whose
-- personal data is gone; its votes stay in the ledger under its id.
ALTER TABLE accounts
    ADD COLUMN email_hash bytea UNIQUE,
    ADD COLUMN erased_at  timestamptz;

-- Roles granted on top of voter and owner, which every account holds. A
-- juror is scoped to one edition and category; an organiser to none ('').
CREATE TABLE account_grants (
    account_id    bigint NOT NULL REFERENCES accounts(id),
    role          text NOT NULL CHECK (role IN ('juror','organiser')),
    edition_id    text NOT NULL DEFAULT '',
    category_code text NOT NULL DEFAULT '',
    granted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, role, edition_id, category_code),
    CHECK ((role = 'organiser') = (edition_id = '' AND category_code = ''))
);

-- Sign-in codes, one per address at a time, stored as a keyed hash.
CREATE TABLE sign_in_codes (
    email_hash  bytea PRIMARY KEY,
    code_hash   bytea NOT NULL,
    attempts    int NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL
);

-- Refresh token families: one per sign-in; each exchange of its newest token
-- adds the next. A token presented after it was exchanged revokes its family.
CREATE TABLE refresh_families (
    id          text PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    revoked_why text NOT NULL DEFAULT ''
);
CREATE INDEX refresh_families_account ON refresh_families (account_id);

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    family_id   text NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- An account's history. Where a request came from is kept only as its
-- network (/24 or /48) and a hash keyed with a secret that is deleted a day
-- or so later, after which the hash leads to no address.
CREATE TABLE account_events (
    id           bigserial PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts(id),
    kind         text NOT NULL,
    at           timestamptz NOT NULL,
    client_net   text NOT NULL DEFAULT '',
    client_hash  text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX account_events_account ON account_events (account_id, at);

-- Random secrets shared by every node: the stable key of address and code
-- hashes, the rotating keys that sign proof-of-work puzzles and hash client
-- addresses.
CREATE TABLE identity_secrets (
    purpose     text NOT NULL,
    id          text NOT NULL,
    secret      bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (purpose, id)
);

-- A rotated-in signing key is published to verifiers first and signs only
-- from activates_at on; NULL means from its creation.
ALTER TABLE signing_keys ADD COLUMN activates_at timestamptz;
