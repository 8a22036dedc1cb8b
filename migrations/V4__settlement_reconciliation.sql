-- Settlement and reconciliation (see docs/reconciliation.md).
--
-- Every minted Shared Payment Token is followed until Stripe says it can no longer move money: the payment
-- keeps what the broker last learned about its token (spt_state) and the settlement job resolves payments
-- whose outcome is unknown by asking Stripe, never the seller, and never minting again.

ALTER TABLE payment
    ADD COLUMN spt_minted_at             timestamptz,   -- when the token became spendable (the charge time)
    ADD COLUMN spt_expires_at            timestamptz,   -- usage_limits.expires_at (the challenge expiry)
    ADD COLUMN spt_state                 text,          -- ACTIVE | USED | REVOKED | EXPIRED; null: no token
    ADD COLUMN spt_amount_captured_minor bigint,        -- Stripe's usage_details.amount_captured at the last check
    ADD COLUMN spt_checked_at            timestamptz,   -- last time Stripe was asked about the token
    ADD COLUMN settled_at                timestamptz,   -- when the settlement job resolved the payment
    -- Work bookkeeping of the settlement job (not mapped by the entity, so a payment update never overwrites it).
    ADD COLUMN settlement_claimed_until  timestamptz,   -- a node works on the row until then
    ADD COLUMN settlement_next_at        timestamptz,   -- retry after a Stripe failure not before then
    ADD COLUMN settlement_attempts       integer NOT NULL DEFAULT 0,
    ADD COLUMN settlement_error          text,
    ADD CONSTRAINT payment_spt_state CHECK (spt_state IS NULL OR spt_state IN ('ACTIVE', 'USED', 'REVOKED', 'EXPIRED'));

-- Rows from before this migration: a paid one's token was used; any other token may still be live.
UPDATE payment SET spt_state = CASE WHEN status = 'PAID' THEN 'USED' ELSE 'ACTIVE' END WHERE spt_id IS NOT NULL;
UPDATE payment p SET spt_minted_at = (SELECT min(a.ts) FROM audit_event a WHERE a.payment_id = p.id AND a.event = 'spt_minted')
 WHERE spt_id IS NOT NULL;

-- What the settlement job scans: tokens that may still move money.
CREATE INDEX payment_spt_active ON payment (updated_at) WHERE spt_state = 'ACTIVE';
-- The reconciliation report reads charges by time.
CREATE INDEX payment_project_charged ON payment (project, (coalesce(spt_minted_at, updated_at)));
CREATE INDEX payment_decision ON payment (decision_id);
