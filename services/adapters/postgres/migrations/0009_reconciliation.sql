-- Reconciliation against gateway settlement reports and bank statements.

ALTER TABLE exceptions ADD COLUMN source text;  -- e.g. 'gateway-report:<sha256>' (source_topic is for Kafka)

CREATE TABLE recon_imports (
    file_sha256 text        PRIMARY KEY,  -- importing the same file twice changes nothing
    kind        text        NOT NULL CHECK (kind IN ('gateway', 'bank')),
    file_name   text        NOT NULL,
    line_count  int         NOT NULL,
    matched     int         NOT NULL,
    exceptions  int         NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recon_lines (
    file_sha256  text   NOT NULL REFERENCES recon_imports (file_sha256),
    line_no      int    NOT NULL,
    reference    text   NOT NULL,
    line_type    text   NOT NULL,
    amount_minor bigint NOT NULL,
    status       text   NOT NULL CHECK (status IN ('matched', 'exception')),
    reason_code  text,
    journal_seq  bigint,
    PRIMARY KEY (file_sha256, line_no)
);
-- a journal movement is matched by at most one report line of a kind
CREATE UNIQUE INDEX recon_lines_once ON recon_lines (journal_seq, line_type, reference)
    WHERE journal_seq IS NOT NULL AND status = 'matched';

GRANT SELECT, INSERT ON recon_imports, recon_lines TO splitbook_operator;
GRANT INSERT ON exceptions TO splitbook_operator;
GRANT USAGE ON SEQUENCE exceptions_exception_id_seq TO splitbook_operator;
