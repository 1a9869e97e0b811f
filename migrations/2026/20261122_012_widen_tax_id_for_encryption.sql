-- Migration: 20261122_012_widen_tax_id_for_encryption
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Widen billing_accounts.tax_id to VARCHAR(255) so its AES-GCM ciphertext fits

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- tax_id is encrypted at rest (docs/security.md): key id, 12-byte nonce, ciphertext and 16-byte tag, base64url
-- encoded. A 10-character EIN becomes 54 characters, more than the seed's VARCHAR(50), which would leave room for
-- only 7 bytes of plaintext. Widening a VARCHAR changes the catalog only; no row is rewritten.
ALTER TABLE billing_accounts ALTER COLUMN tax_id TYPE VARCHAR(255);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;

-- -- Fails, on purpose, while a value longer than 50 characters (an encrypted one) is stored.
-- ALTER TABLE billing_accounts ALTER COLUMN tax_id TYPE VARCHAR(50);

-- COMMIT;
