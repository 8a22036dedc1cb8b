package io.mppbroker.approval;

import io.mppbroker.access.AccessRequestService;
import io.mppbroker.access.AccessRequestView;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.api.Durations;
import io.mppbroker.auth.Callers;
import io.mppbroker.payment.Payment;
import io.mppbroker.payment.PaymentService;
import io.mppbroker.payment.PaymentView;
import io.mppbroker.policy.ApproverIdentity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1/approvals")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
@Tag(name = "Approvals", description = "Humans approve or deny payments parked by policy")
public class ApprovalResource {

    private final PaymentService payments;
    private final AccessRequestService accessRequests;
    private final ApprovalAnswers answers;
    private final Callers callers;
    private final ApprovalCards cards;

    public ApprovalResource(PaymentService payments, AccessRequestService accessRequests, ApprovalAnswers answers,
                            Callers callers, ApprovalCards cards) {
        this.payments = payments;
        this.accessRequests = accessRequests;
        this.answers = answers;
        this.callers = callers;
        this.cards = cards;
    }

    /**
     * {@code {"decision":"approve"|"deny","note","max_amount"?,"task_budget"?:{"amount","ttl"},
     * "allow_seller"?:{"max_amount","ttl"}}}. Amounts are decimal strings ("250.00"); ttl is 45s, 30m, 72h, 7d.
     */
    public record DecisionBody(String decision, String note, String maxAmount, TaskBudgetBody taskBudget,
                               AllowSellerBody allowSeller, String ttl, List<String> actions) {

        /** A payment answer (no access narrowing). */
        public DecisionBody(String decision, String note, String maxAmount, TaskBudgetBody taskBudget,
                            AllowSellerBody allowSeller) {
            this(decision, note, maxAmount, taskBudget, allowSeller, null, null);
        }
    }

    public record TaskBudgetBody(String amount, String ttl) {}

    public record AllowSellerBody(String maxAmount, String ttl) {}

    /** {@code payment} or {@code access_request}: the approval's subject, the other is null. */
    public record Decided(String outcome, PaymentView.ApprovalView approval, PaymentView payment,
                          AccessRequestView accessRequest) {}

    public record Pending(PaymentView.ApprovalView approval, ApprovalCard card, PaymentView payment,
                          AccessRequestView accessRequest) {}

    @GET
    @Operation(summary = "Approvals waiting for this approver, with the payment's context")
    public List<Pending> pending(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        ApproverIdentity approver = callers.approver(authorization);
        List<Approval> pending = QuarkusTransaction.requiringNew().call(() -> Approval.pendingFor(approver.projects()));
        return pending.stream().map(a -> a.isAboutAccess()
                ? new Pending(PaymentView.ApprovalView.of(a, null), cards.build(a.id), null, accessRequests.viewOfApproval(a))
                : QuarkusTransaction.requiringNew().call(() -> {
                    Payment p = Payment.findById(a.paymentId);
                    return new Pending(PaymentView.ApprovalView.of(a, p.currency), cards.build(a.id), PaymentView.of(p, a), null);
                })).toList();
    }

    @POST
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Approve or deny", description = "{\"decision\":\"approve\"|\"deny\",\"note\",\"max_amount\"?} "
            + "for a payment; {\"decision\",\"note\",\"ttl\"?,\"actions\"?} for an access request (narrowing only). "
            + "409 if someone already decided; 403 for agents and for approvers of other projects.")
    public Decided decide(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
                          DecisionBody body) {
        ApproverIdentity approver = callers.approver(authorization);
        ApprovalDecision decision = parse(body);
        ApprovalAnswers.Answer answer = answers.decide(approver, id, decision, "api");
        Approval approval = QuarkusTransaction.requiringNew().call(() -> Approval.<Approval>findById(id));
        String outcome = answer.outcome().name().toLowerCase(Locale.ROOT);
        if (answer.aboutAccess()) {
            return new Decided(outcome, PaymentView.ApprovalView.of(approval, null), null, accessRequests.viewOfApproval(approval));
        }
        Payment payment = payments.find(answer.subjectId());
        return new Decided(outcome, PaymentView.ApprovalView.of(approval, payment.currency), payments.view(payment), null);
    }

    /** Parses an answer; the same rules serve every channel (Slack and Telegram build a DecisionBody too). */
    public static ApprovalDecision parse(DecisionBody body) {
        if (body == null || body.decision() == null) {
            throw ApiProblem.badRequest("decision is required: \"approve\" or \"deny\"");
        }
        ApprovalDecision.Verdict verdict = switch (body.decision().toLowerCase(Locale.ROOT)) {
            case "approve" -> ApprovalDecision.Verdict.APPROVE;
            case "deny" -> ApprovalDecision.Verdict.DENY;
            default -> throw ApiProblem.badRequest("decision must be \"approve\" or \"deny\"");
        };
        if (body.note() != null && body.note().length() > 2000) {
            throw ApiProblem.badRequest("note is at most 2000 characters");
        }
        boolean revises = body.maxAmount() != null || body.taskBudget() != null || body.allowSeller() != null;
        if (revises && verdict == ApprovalDecision.Verdict.DENY) {
            throw ApiProblem.badRequest("max_amount, task_budget and allow_seller only go with \"approve\"");
        }
        boolean narrows = body.ttl() != null || body.actions() != null;
        if (narrows && verdict == ApprovalDecision.Verdict.DENY) {
            throw ApiProblem.badRequest("ttl and actions only go with \"approve\"");
        }
        if (narrows && revises) {
            throw ApiProblem.badRequest("ttl and actions narrow an access request; max_amount, task_budget and "
                    + "allow_seller revise a payment: an answer has one subject");
        }
        ApprovalDecision.Narrowing narrowing = null;
        if (narrows) {
            if (body.actions() != null && (body.actions().isEmpty() || body.actions().size() > 50
                    || body.actions().stream().anyMatch(a -> a == null || a.isBlank() || a.length() > 256))) {
                throw ApiProblem.badRequest("actions must list 1 to 50 of the requested actions (deny to grant none)");
            }
            narrowing = new ApprovalDecision.Narrowing(body.ttl() == null ? null : ttl("ttl", body.ttl(), null),
                    body.actions() == null ? null : body.actions().stream().map(String::strip).toList());
        }
        BigDecimal max = body.maxAmount() == null ? null : amount("max_amount", body.maxAmount());
        ApprovalDecision.TaskBudget taskBudget = body.taskBudget() == null ? null : new ApprovalDecision.TaskBudget(
                amount("task_budget.amount", body.taskBudget().amount()), ttl("task_budget.ttl", body.taskBudget().ttl(), "72h"));
        ApprovalDecision.AllowSeller allowSeller = body.allowSeller() == null ? null : new ApprovalDecision.AllowSeller(
                amount("allow_seller.max_amount", body.allowSeller().maxAmount()), ttl("allow_seller.ttl", body.allowSeller().ttl(), "24h"));
        return new ApprovalDecision(verdict, body.note(), max, taskBudget, allowSeller, narrowing);
    }

    private static BigDecimal amount(String field, String text) {
        BigDecimal value;
        try {
            value = new BigDecimal(text == null ? "" : text.strip());
        } catch (NumberFormatException e) {
            throw ApiProblem.badRequest(field + " must be a decimal amount such as \"250.00\"");
        }
        if (value.signum() <= 0 || value.scale() > 4 || value.precision() > 16) {
            throw ApiProblem.badRequest(field + " must be a positive amount with at most 4 decimals");
        }
        return value;
    }

    /** Revisions expire on their own; 90 days at most, so nobody raises a budget forever by accident. */
    private static Duration ttl(String field, String text, String fallback) {
        Duration ttl = Durations.parse(text == null ? fallback : text)
                .orElseThrow(() -> ApiProblem.badRequest(field + " must be a duration such as 30m, 72h or 7d"));
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofDays(90)) > 0) {
            throw ApiProblem.badRequest(field + " must be between 1s and 90d");
        }
        return ttl;
    }
}
