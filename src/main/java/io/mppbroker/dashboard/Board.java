package io.mppbroker.dashboard;

import io.mppbroker.access.AccessRequestView;
import io.mppbroker.approval.ApprovalCard;
import java.util.List;

/**
 * What one approver's dashboard shows: the questions waiting in their projects (with what they may do about
 * each) and the live list of held requests and recent decisions. Sent whole by {@code GET /dashboard/api/board}
 * and by every {@code board} event of {@code /dashboard/api/events}.
 */
public record Board(String approver, List<String> projects, List<PendingCard> pending, List<RequestRow> requests) {

    /**
     * A pending approval as the approver may act on it. {@code blocked} says why they cannot answer at all
     * (not asked yet, already answered, routed to chat only); {@code mayApprove} is false for the owner of the
     * agent under separation of duties, who may still deny.
     */
    public record PendingCard(ApprovalCard card, boolean mayAnswer, boolean mayApprove, String blocked, String hint) {}

    /**
     * One line of the live list: an approval and where its subject stands now. For a payment the payment fields;
     * for an access request {@code access} (action, resource, TTL, justification, diff, status, the grant with its
     * expiry) and the payment fields null.
     */
    public record RequestRow(String approvalId, String paymentId, String project, String agent, String task,
                             String purpose, String amount, String currency, String seller, String tier,
                             String approvalStatus, String paymentStatus, String decidedBy, String decidedVia,
                             String decidedAt, String note, String createdAt, AccessRequestView access) {}
}
