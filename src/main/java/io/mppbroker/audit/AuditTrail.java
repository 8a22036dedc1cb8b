package io.mppbroker.audit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Records every step as a link of the audit hash chain, in the caller's transaction.
 * <p>
 * Ordering: the chain has one total order, and the database and the file must agree on it even with hundreds
 * of payments recording at once. So the seq and the hashes are assigned here, while holding the single row of
 * {@code audit_chain_head} ({@code SELECT ... FOR UPDATE}), and the sealed line is stored in
 * {@code audit_event.line}. The lock is held until the caller commits, so lines commit in seq order; a
 * rollback returns its seq with it (the next recorder reads the old head), so committed seqs have no gaps.
 * The file is written afterwards by one writer ({@link AuditExporter}) that appends committed rows in seq
 * order: the business path never waits for the disk, a rolled-back step never reaches the file, and a crash
 * between commit and file write is repaired from the database at the next start.
 * <p>
 * Lock hold: everything the caller changed so far is flushed before the head is locked, so the caller's row
 * locks (ledger, payment, approval) are taken before the head and the head lock covers only sealing
 * (microseconds), one INSERT, one UPDATE and the commit. Callers record as their last step (at most the
 * payment's {@code updated_at} follows), which keeps the head out of lock-order deadlocks; were one to occur,
 * PostgreSQL aborts one transaction rather than hanging.
 */
@ApplicationScoped
public class AuditTrail {

    public static final String ACTION_PAY = "mpp:pay";

    private final EntityManager em;
    private final Event<LineCommitted> committed;

    public AuditTrail(EntityManager em, Event<LineCommitted> committed) {
        this.em = em;
        this.committed = committed;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void record(AuditEntry entry) {
        recordLine(entry, toLine(entry));
    }

    /** An access line: the payment line's keys plus {@code grant_id}, {@code expires} and {@code access_request_id}, in the same chain. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void record(AccessAuditEntry access) {
        AuditEntry entry = access.asEntry();
        Map<String, Object> line = toLine(entry);
        line.put("grant_id", access.grantId());
        line.put("expires", access.expires() == null ? null : access.expires().toString());
        line.put("access_request_id", access.accessRequestId());
        recordLine(entry, line);
    }

    private void recordLine(AuditEntry entry, Map<String, Object> line) {
        AuditEvent row = new AuditEvent();
        row.ts = entry.ts();
        row.event = entry.event();
        row.agent = entry.agent();
        row.project = entry.project();
        row.task = entry.task();
        row.action = entry.action();
        row.resource = entry.resource();
        row.decision = entry.decision();
        row.reason = entry.reason();
        row.amount = entry.amount();
        row.currency = entry.currency();
        row.paymentId = entry.paymentId();
        row.decisionId = entry.decisionId();
        row.approvedBy = entry.approvedBy();
        row.receiptReference = entry.receiptReference();
        row.httpStatus = entry.httpStatus();
        row.policyVersion = entry.policyVersion();
        em.flush();
        AuditChainHead head = lockHead();
        append(head, row, AuditLines.seal(line, head.seq + 1, head.hash));
    }

    /**
     * Appends a signed checkpoint covering the current head, unless the chain is empty or already ends with a
     * checkpoint. Returns the checkpoint's seq.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Optional<Long> checkpoint(AuditKeys.SigningKey key, Instant now) {
        AuditChainHead head = lockHead();
        if (head.seq == head.chainStartSeq) {
            return Optional.empty();
        }
        AuditEvent last = em.find(AuditEvent.class, head.seq);
        if (last != null && AuditCheckpoint.EVENT.equals(last.event)) {
            return Optional.empty();
        }
        AuditEvent row = new AuditEvent();
        row.ts = now;
        row.event = AuditCheckpoint.EVENT;
        row.action = AuditCheckpoint.ACTION;
        append(head, row, AuditCheckpoint.sealed(head.seq + 1, head.hash, now, key));
        return Optional.of(row.seq);
    }

    private AuditChainHead lockHead() {
        AuditChainHead head = em.find(AuditChainHead.class, AuditChainHead.ID, LockModeType.PESSIMISTIC_WRITE);
        if (head == null) {
            throw new IllegalStateException("audit_chain_head is missing (migration V2 not applied?)");
        }
        return head;
    }

    private void append(AuditChainHead head, AuditEvent row, Map<String, Object> sealed) {
        row.seq = (Long) sealed.get(AuditLines.SEQ);
        row.line = sealed;
        row.persist();
        head.seq = row.seq;
        head.hash = (String) sealed.get(AuditLines.HASH);
        // One statement per line: the head's trigger accepts exactly one step forward per UPDATE.
        em.flush();
        committed.fire(new LineCommitted(row.seq));
    }

    /** Field order is the documented JSONL order; absent values are written as null so every line has every key. */
    static Map<String, Object> toLine(AuditEntry e) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", e.ts().toString());
        line.put("event", e.event());
        line.put("agent", e.agent());
        line.put("project", e.project());
        line.put("task", e.task());
        line.put("action", e.action());
        line.put("resource", e.resource());
        line.put("decision", e.decision());
        line.put("reason", e.reason());
        line.put("amount", e.amount() == null ? null : e.amount().toPlainString());
        line.put("currency", e.currency());
        line.put("payment_id", e.paymentId());
        line.put("decision_id", e.decisionId());
        line.put("approved_by", e.approvedBy());
        line.put("receipt_reference", e.receiptReference());
        line.put("http_status", e.httpStatus());
        line.put("policy_version", e.policyVersion());
        return line;
    }

    /** Fired for each line; the exporter observes it after commit (a rolled-back line fires nothing there). */
    public record LineCommitted(long seq) {}
}
