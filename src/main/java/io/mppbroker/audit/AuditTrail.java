package io.mppbroker.audit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records every step as an audit line, in the caller's transaction: the line commits or rolls back with the step.
 * <p>
 * The line is stored unsealed ({@code audit_pending}); {@link AuditChain} gives it its seq and hashes right after
 * the commit. Recording therefore takes no shared lock: concurrent payments commit (and flush the WAL) together
 * instead of one after another.
 */
@ApplicationScoped
public class AuditTrail {

    public static final String ACTION_PAY = "mpp:pay";

    private final EntityManager em;
    private final Event<LineRecorded> recorded;

    public AuditTrail(EntityManager em, Event<LineRecorded> recorded) {
        this.em = em;
        this.recorded = recorded;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void record(AuditEntry entry) {
        recordLine(toLine(entry));
    }

    /** An access line: the payment line's keys plus {@code grant_id}, {@code expires} and {@code access_request_id}, in the same chain. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void record(AccessAuditEntry access) {
        Map<String, Object> line = toLine(access.asEntry());
        line.put("grant_id", access.grantId());
        line.put("expires", access.expires() == null ? null : access.expires().toString());
        line.put("access_request_id", access.accessRequestId());
        recordLine(line);
    }

    private void recordLine(Map<String, Object> line) {
        // The caller's changes first, so its row locks are taken before the line gets its place in the recording
        // order: of two conflicting steps, the one that won the locks records (and is chained) first.
        em.flush();
        // One plain INSERT: nothing reads the line back in this transaction, so it needs no entity (an IDENTITY
        // entity costs an INSERT … RETURNING and Hibernate's persist machinery, 4 times per payment).
        em.createNativeQuery("INSERT INTO audit_pending (line) VALUES (CAST(:line AS jsonb))")
                .setParameter("line", json(line))
                .executeUpdate();
        recorded.fire(new LineRecorded());
    }

    private static String json(Map<String, Object> line) {
        try {
            return AuditLines.JSON.writeValueAsString(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("audit line not serializable: " + e.getOriginalMessage(), e);
        }
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

    /** Fired for each line; the sealer observes it after commit (a rolled-back line fires nothing there). */
    public record LineRecorded() {}
}
