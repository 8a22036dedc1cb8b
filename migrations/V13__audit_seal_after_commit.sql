-- Seal after commit (see AuditChain): business transactions record their audit line unsealed in audit_pending,
-- without touching the chain head, so payments no longer queue on one row lock held through every commit's
-- WAL flush. A sealer (any node, one at a time: it holds the head row lock) moves committed pending lines into
-- audit_event in id order, assigning seq, prev_hash and hash, many lines per transaction. A rolled-back step
-- never reaches audit_pending; a crash between commit and sealing leaves the line pending for the next sealer.
CREATE TABLE audit_pending (
    id      bigserial   PRIMARY KEY,   -- recording order; the sealer seals in this order
    line    jsonb       NOT NULL       -- the line's content, without seq, prev_hash and hash
            -- what audit_event requires, checked when the step records (a line the sealer could not store
            -- would hold up every line after it)
            CHECK (line ->> 'ts' IS NOT NULL AND line ->> 'event' IS NOT NULL AND line ->> 'action' IS NOT NULL
                   AND NOT line ? 'seq' AND NOT line ? 'hash')
);
ALTER TABLE audit_pending SET (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 1000);

-- Pending lines are taken (DELETE) only by the sealer; nobody edits them or empties the table.
CREATE FUNCTION audit_pending_is_take_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_pending lines are only recorded and sealed: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_pending_no_update
    BEFORE UPDATE ON audit_pending
    FOR EACH ROW EXECUTE FUNCTION audit_pending_is_take_only();
CREATE TRIGGER audit_pending_no_truncate
    BEFORE TRUNCATE ON audit_pending
    FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_is_take_only();

-- The head may now advance by a whole batch in one UPDATE, but only over lines that are in audit_event: no gaps,
-- the first continuing the old head's hash, each the next one's prev_hash, the last ending at the new head's hash.
CREATE OR REPLACE FUNCTION audit_chain_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.seq <= OLD.seq OR NEW.chain_start_seq <> OLD.chain_start_seq
       OR (SELECT count(*) FROM audit_event WHERE seq > OLD.seq AND seq <= NEW.seq) <> NEW.seq - OLD.seq
       OR (SELECT line ->> 'prev_hash' FROM audit_event WHERE seq = OLD.seq + 1) IS DISTINCT FROM OLD.hash
       OR (SELECT line ->> 'hash' FROM audit_event WHERE seq = NEW.seq) IS DISTINCT FROM NEW.hash
       OR EXISTS (SELECT 1 FROM audit_event a JOIN audit_event b ON b.seq = a.seq + 1
                   WHERE a.seq > OLD.seq AND b.seq <= NEW.seq
                     AND b.line ->> 'prev_hash' IS DISTINCT FROM a.line ->> 'hash') THEN
        RAISE EXCEPTION 'audit_chain_head only advances over the sealed lines that follow it: % refused', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
