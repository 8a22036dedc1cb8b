package io.mppbroker.approval;

import java.util.List;

/**
 * Everything a human needs to decide, the same on Slack, Telegram and the dashboard. Amounts are decimal
 * strings in major units; budget lines are null when the policy sets no such budget. A card about an access
 * request has {@code access} set and no payment fields ({@code paymentId}, {@code amount}, ... are null).
 */
public record ApprovalCard(
        String approvalId,
        String paymentId,
        String project,
        String agent,
        String task,
        String purpose,
        String sellerUrl,
        String sellerHost,
        String realm,
        String amount,
        String currency,
        String tier,
        String reason,
        int requiredApprovals,
        List<String> approvedSoFar,
        List<BudgetLine> budgets,
        List<String> riskFlags,
        String status,
        String decidedBy,
        String decidedVia,
        String decidedAt,
        String note,
        int escalationLevel,
        String createdAt,
        String escalatesAt,
        AccessCard access) {

    /** A payment card. */
    public ApprovalCard(String approvalId, String paymentId, String project, String agent, String task, String purpose,
                        String sellerUrl, String sellerHost, String realm, String amount, String currency, String tier,
                        String reason, int requiredApprovals, List<String> approvedSoFar, List<BudgetLine> budgets,
                        List<String> riskFlags, String status, String decidedBy, String decidedVia, String decidedAt,
                        String note, int escalationLevel, String createdAt, String escalatesAt) {
        this(approvalId, paymentId, project, agent, task, purpose, sellerUrl, sellerHost, realm, amount, currency, tier,
                reason, requiredApprovals, approvedSoFar, budgets, riskFlags, status, decidedBy, decidedVia, decidedAt,
                note, escalationLevel, createdAt, escalatesAt, null);
    }

    /**
     * What an access request asks and what approving it grants: {@code actions} in full
     * ({@code stripe:charges:read}), {@code resource} null for any resource, {@code ttl} as typed ({@code 24h}),
     * {@code diff} the unified YAML diff of the proposed grant against the policy file; {@code grantId} and
     * {@code grantExpiresAt} once approved, {@code granted} what was granted when the approval narrowed it.
     */
    public record AccessCard(String accessRequestId, List<String> actions, String resource, List<String> branches,
                             String ttl, String justification, String diff, String grantId, String grantExpiresAt,
                             String granted) {}

    public boolean isAboutAccess() {
        return access != null;
    }

    /** "task: 95.00 of 100.00 used, 5.00 left before this payment, -795.00 after it". */
    public record BudgetLine(String window, String limit, String used, String leftAfter) {}

    public boolean isPending() {
        return "pending".equals(status);
    }
}
