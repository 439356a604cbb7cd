-- An approver may refuse a pending adjustment (with a note): it is then never posted.
ALTER TABLE adjustments DROP CONSTRAINT adjustments_status_check;
ALTER TABLE adjustments ADD CONSTRAINT adjustments_status_check CHECK (status IN ('pending', 'approved', 'refused'));
ALTER TABLE adjustments ADD COLUMN refused_by text, ADD COLUMN refusal_note text;
GRANT UPDATE (refused_by, refusal_note) ON adjustments TO splitbook_operator;
