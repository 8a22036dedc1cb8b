package io.mppbroker.audit;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One step of one payment, as finance reads it. {@code decision} is ALLOW, DENY or ASK where the step
 * carries a decision, otherwise null. {@code policyVersion} is the version of the project policy the
 * decision named by {@code decisionId} was made under (see {@code PolicyVersion}), null when no decision.
 */
public record AuditEntry(
        Instant ts,
        String event,
        String agent,
        String project,
        String task,
        String action,
        String resource,
        String decision,
        String reason,
        BigDecimal amount,
        String currency,
        String paymentId,
        String decisionId,
        String approvedBy,
        String receiptReference,
        Integer httpStatus,
        String policyVersion) {

    /** A step that names no policy version (no decision, or the caller does not know it). */
    public AuditEntry(Instant ts, String event, String agent, String project, String task, String action, String resource,
                      String decision, String reason, BigDecimal amount, String currency, String paymentId,
                      String decisionId, String approvedBy, String receiptReference, Integer httpStatus) {
        this(ts, event, agent, project, task, action, resource, decision, reason, amount, currency, paymentId, decisionId,
                approvedBy, receiptReference, httpStatus, null);
    }
}
