package io.mppbroker.approval;

import java.util.List;

/**
 * Everything a human needs to decide, the same on Slack, Telegram and the dashboard. Amounts are decimal
 * strings in major units; budget lines are null when the policy sets no such budget.
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
        String escalatesAt) {

    /** "task: 95.00 of 100.00 used, 5.00 left before this payment, -795.00 after it". */
    public record BudgetLine(String window, String limit, String used, String leftAfter) {}

    public boolean isPending() {
        return "pending".equals(status);
    }
}
