package io.mppbroker.approval;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

/**
 * What an approver answered, from any channel. An approval of a payment can come with revisions that flow back
 * to the agent: a lower maximum for this payment (counter-offer), a new budget for the task, or an allowance that
 * makes later payments to this seller automatic. An approval of an access request can come narrowed: a shorter
 * TTL, fewer actions. Absent revisions are null.
 */
public record ApprovalDecision(Verdict verdict, String note, BigDecimal maxAmount, TaskBudget taskBudget,
                               AllowSeller allowSeller, Narrowing narrowing) {

    /** A payment decision (no access narrowing). */
    public ApprovalDecision(Verdict verdict, String note, BigDecimal maxAmount, TaskBudget taskBudget,
                            AllowSeller allowSeller) {
        this(verdict, note, maxAmount, taskBudget, allowSeller, null);
    }

    /** "Approve, but for 2h and only charges:read": {@code ttl} or {@code actions} may be null (kept as proposed). */
    public record Narrowing(Duration ttl, List<String> actions) {
        public Narrowing {
            actions = actions == null ? null : List.copyOf(actions);
        }
    }

    /** Whether the answer carries payment revisions (max amount, task budget, seller allowance). */
    public boolean revisesPayment() {
        return maxAmount != null || taskBudget != null || allowSeller != null;
    }

    public enum Verdict { APPROVE, DENY }

    /** "Raise task t-42 to 800.00 for 72 h." */
    public record TaskBudget(BigDecimal amount, Duration ttl) {}

    /** "Approve, and allow this seller up to 50.00 per payment for 7 days." */
    public record AllowSeller(BigDecimal maxAmount, Duration ttl) {}

    public static ApprovalDecision approve(String note) {
        return new ApprovalDecision(Verdict.APPROVE, note, null, null, null);
    }

    public static ApprovalDecision deny(String note) {
        return new ApprovalDecision(Verdict.DENY, note, null, null, null);
    }

    public boolean approves() {
        return verdict == Verdict.APPROVE;
    }
}
