-- The payee of a seller profile (SellerProfileUpdated v2): legal name, tax document and a
-- structured bank account, checked by the domain on arrival and held to their shape here.
ALTER TABLE seller_profile_versions
    ADD COLUMN legal_name   text  CHECK (char_length(legal_name) BETWEEN 1 AND 140),
    ADD COLUMN tax_document text  CHECK (tax_document ~ '^([0-9]{11}|[0-9]{14})$'),
    ADD COLUMN bank_account jsonb CHECK (
        bank_account IS NULL
        OR (bank_account->>'scheme' = 'IBAN' AND bank_account->>'iban' ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$')
        OR (bank_account->>'scheme' = 'DOMESTIC' AND bank_account->>'bank_code' IS NOT NULL
            AND bank_account->>'account_number' IS NOT NULL)
        OR (bank_account->>'scheme' = 'PIX' AND bank_account->>'pix_key_type' IN ('CPF', 'CNPJ', 'EMAIL', 'PHONE', 'EVP')
            AND bank_account->>'pix_key' IS NOT NULL));

CREATE OR REPLACE VIEW seller_profiles AS
SELECT DISTINCT ON (seller_id)
       seller_id, withholding_rate_bp, payout_minimum, payout_hold, bank_account_ref,
       effective_at, event_id AS last_event_id, legal_name, tax_document, bank_account
  FROM seller_profile_versions
 ORDER BY seller_id, effective_at DESC, recorded_at DESC;

-- Bank files name their exact format: the pain.001 version the debtor bank takes, or CNAB 240.
ALTER TABLE payout_files DROP CONSTRAINT payout_files_format_check;
ALTER TABLE payout_files ADD CONSTRAINT payout_files_format_check
    CHECK (format IN ('csv', 'pain.001', 'pain.001.001.03', 'pain.001.001.09', 'cnab240'));
