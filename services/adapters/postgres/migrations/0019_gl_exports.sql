-- Every general-ledger export made (`splitbook gl export`): the day, the mapping and the
-- files' SHA-256, so that a day exported again can be shown to give the same files.
CREATE TABLE gl_exports (
    export_id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day           date        NOT NULL,
    mapping_sha256 text       NOT NULL,
    csv_sha256    text        NOT NULL,
    json_sha256   text        NOT NULL,
    lines         integer     NOT NULL,
    first_seq     bigint,
    last_seq      bigint,
    exported_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gl_exports_day ON gl_exports (day);
GRANT SELECT ON gl_exports TO splitbook_operator;
