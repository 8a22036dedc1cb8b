-- Tamper-evident audit: every audit line is a link of a SHA-256 hash chain (see docs/audit.md).
--
-- The chain position (seq) and the hashes are assigned inside the recording transaction while it holds the
-- single row of audit_chain_head (SELECT ... FOR UPDATE). The head lock is held until commit, so lines commit
-- in seq order and a rolled-back transaction takes its seq back with it: the committed seqs have no gaps and
-- the database and the file agree on one total order.

CREATE TABLE audit_chain_head (
    id               integer     PRIMARY KEY CHECK (id = 1),
    seq              bigint      NOT NULL,              -- seq of the last line in the chain (0: none yet)
    hash             text        NOT NULL,              -- that line's hash (64 zeros: the genesis value)
    chain_start_seq  bigint      NOT NULL               -- lines with seq <= this predate the chain and have no hash
);

-- Rows written before this migration (if any) stay as they are: the chain starts after them.
INSERT INTO audit_chain_head (id, seq, hash, chain_start_seq)
SELECT 1, coalesce(max(seq), 0), repeat('0', 64), coalesce(max(seq), 0) FROM audit_event;

-- The head only moves one line forward at a time and is never removed.
CREATE FUNCTION audit_chain_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 OR NEW.chain_start_seq <> OLD.chain_start_seq THEN
        RAISE EXCEPTION 'audit_chain_head only advances by one line: % refused', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_chain_head_forward
    BEFORE UPDATE OR DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward_only();
CREATE TRIGGER audit_chain_head_no_truncate
    BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_forward_only();

-- seq is now assigned by the chain head, never by a sequence.
ALTER TABLE audit_event ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE audit_event_seq_seq;

ALTER TABLE audit_event ADD COLUMN policy_version text;

-- New rows must carry their chain fields, and the line's seq must be the row's seq.
ALTER TABLE audit_event ADD CONSTRAINT audit_event_line_is_chained
    CHECK ((line ->> 'seq') = seq::text AND line ? 'prev_hash' AND line ? 'hash') NOT VALID;

-- The exporter looks up the last checkpoint at start.
CREATE INDEX audit_event_checkpoints ON audit_event (seq) WHERE event = 'checkpoint';
