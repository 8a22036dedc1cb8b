-- Seal after commit (see AuditChain): business transactions record their audit line unsealed in audit_pending,
-- without touching the chain head, so payments no longer queue on one row lock held through every commit's
-- WAL flush. A sealer (any node, one at a time: it holds the head row lock) moves committed pending lines into
-- audit_event in id order, assigning seq, prev_hash and hash, many lines per transaction. A rolled-back step
-- never reaches audit_pending; a crash between commit and sealing leaves the line pending for the next sealer.
CREATE TABLE audit_pending (
    id      bigserial   PRIMARY KEY,   -- recording order; the sealer seals in this order
    line    jsonb       NOT NULL       -- the line's content, without seq, prev_hash and hash
);

-- The head may now advance by a whole batch in one UPDATE, but only over lines that are in audit_event, without
-- gaps, continuing its previous hash and ending at the hash it names.
CREATE OR REPLACE FUNCTION audit_chain_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.seq <= OLD.seq OR NEW.chain_start_seq <> OLD.chain_start_seq
       OR (SELECT count(*) FROM audit_event WHERE seq > OLD.seq AND seq <= NEW.seq) <> NEW.seq - OLD.seq
       OR (SELECT line ->> 'prev_hash' FROM audit_event WHERE seq = OLD.seq + 1) IS DISTINCT FROM OLD.hash
       OR (SELECT line ->> 'hash' FROM audit_event WHERE seq = NEW.seq) IS DISTINCT FROM NEW.hash THEN
        RAISE EXCEPTION 'audit_chain_head only advances over the sealed lines that follow it: % refused', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
