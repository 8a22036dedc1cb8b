-- SPT drop-in (docs/spt-drop-in.md): agents running an unmodified mppx client mint their Shared Payment Tokens
-- through the broker's Stripe gateway. Such a payment has no seller request to replay: the broker decides, mints
-- and hands the token to the agent, and the seller charges it. `kind` tells the two apart; every existing row is
-- a fetch through POST /v1/payments.
ALTER TABLE payment
    ADD COLUMN kind text NOT NULL DEFAULT 'FETCH',
    ADD CONSTRAINT payment_kind CHECK (kind IN ('FETCH', 'SPT_MINT'));

COMMENT ON COLUMN payment.kind IS 'FETCH (the broker fetched and paid the seller) | SPT_MINT (minted for the agent, status MINTED until spent)';

-- A retried mint in the ask tier finds the payment its approval belongs to; a receipt reported by SPT finds its payment.
CREATE INDEX payment_open_mints ON payment (agent, amount_minor, currency, network_profile)
    WHERE kind = 'SPT_MINT' AND status IN ('PENDING_APPROVAL', 'APPROVED', 'DENIED');
CREATE INDEX payment_spt_id ON payment (spt_id) WHERE spt_id IS NOT NULL;
