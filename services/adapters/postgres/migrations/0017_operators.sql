-- Operators: the people (and machines) who act on the ledger, each with one role and an
-- API token of which only the SHA-256 is kept. Revoked operators stay, for the audit log.
CREATE TABLE operators (
    name         text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    role         text        NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin')),
    token_sha256 bytea       NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL,
    revoked_at   timestamptz
);
GRANT SELECT ON operators TO splitbook_operator;
