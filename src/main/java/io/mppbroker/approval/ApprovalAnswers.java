package io.mppbroker.approval;

import io.mppbroker.access.AccessRequestService;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.payment.PaymentService;
import io.mppbroker.policy.ApproverIdentity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The one entry point for an approver's answer, whatever the channel (API, dashboard, Slack, Telegram): it looks
 * at the approval's subject and hands the answer to the service of that aggregate. Both use
 * {@link ApprovalService#answer}, so the rules are the same for payments and access requests: agents never
 * approve (callers are approvers by construction), separation of duties, N-of-M, first answer wins.
 */
@ApplicationScoped
public class ApprovalAnswers {

    /** How the answer ended, and the id of the subject it was about ({@code pay_...} or {@code acr_...}). */
    public record Answer(ApprovalService.Outcome outcome, String subjectId, boolean aboutAccess) {}

    private final PaymentService payments;
    private final AccessRequestService accessRequests;

    public ApprovalAnswers(PaymentService payments, AccessRequestService accessRequests) {
        this.payments = payments;
        this.accessRequests = accessRequests;
    }

    public Answer decide(ApproverIdentity approver, String approvalId, ApprovalDecision decision, String via) {
        Approval a = QuarkusTransaction.requiringNew().call(() -> Approval.<Approval>findById(approvalId));
        if (a == null) {
            throw ApiProblem.notFound("no approval " + approvalId);
        }
        if (!approver.mayApprove(a.project)) {
            throw ApiProblem.forbidden("not-an-approver", approver.approverId() + " is not an approver of project " + a.project);
        }
        if (a.isAboutAccess()) {
            if (decision.revisesPayment()) {
                throw ApiProblem.badRequest("approval " + approvalId + " is about an access request: answer with "
                        + "ttl and actions to narrow it, not max_amount, task_budget or allow_seller");
            }
            return new Answer(accessRequests.decide(approver, approvalId, decision, via), a.accessRequestId, true);
        }
        if (decision.narrowing() != null) {
            throw ApiProblem.badRequest("approval " + approvalId + " is about a payment: ttl and actions narrow "
                    + "access requests only");
        }
        PaymentService.Answer answer = payments.decide(approver, approvalId, decision, via);
        return new Answer(answer.outcome(), answer.paymentId(), false);
    }
}
