package io.mppbroker.approval;

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
    private final Callers callers;
    private final ApprovalCards cards;

    public ApprovalResource(PaymentService payments, Callers callers, ApprovalCards cards) {
        this.payments = payments;
        this.callers = callers;
        this.cards = cards;
    }

    /**
     * {@code {"decision":"approve"|"deny","note","max_amount"?,"task_budget"?:{"amount","ttl"},
     * "allow_seller"?:{"max_amount","ttl"}}}. Amounts are decimal strings ("250.00"); ttl is 45s, 30m, 72h, 7d.
     */
    public record DecisionBody(String decision, String note, String maxAmount, TaskBudgetBody taskBudget,
                               AllowSellerBody allowSeller) {}

    public record TaskBudgetBody(String amount, String ttl) {}

    public record AllowSellerBody(String maxAmount, String ttl) {}

    public record Decided(String outcome, PaymentView.ApprovalView approval, PaymentView payment) {}

    public record Pending(PaymentView.ApprovalView approval, ApprovalCard card, PaymentView payment) {}

    @GET
    @Operation(summary = "Approvals waiting for this approver, with the payment's context")
    public List<Pending> pending(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        ApproverIdentity approver = callers.approver(authorization);
        List<Approval> pending = QuarkusTransaction.requiringNew().call(() -> Approval.pendingFor(approver.projects()));
        return pending.stream().map(a -> QuarkusTransaction.requiringNew().call(() -> {
            Payment p = Payment.findById(a.paymentId);
            return new Pending(PaymentView.ApprovalView.of(a, p.currency), cards.build(a.id), PaymentView.of(p, a));
        })).toList();
    }

    @POST
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Approve or deny", description = "{\"decision\":\"approve\"|\"deny\",\"note\",\"max_amount\"?}. "
            + "409 if someone already decided; 403 for agents and for approvers of other projects.")
    public Decided decide(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
                          DecisionBody body) {
        ApproverIdentity approver = callers.approver(authorization);
        ApprovalDecision decision = parse(body);
        PaymentService.Answer answer = payments.decide(approver, id, decision, "api");
        Payment payment = payments.find(answer.paymentId());
        Approval approval = QuarkusTransaction.requiringNew().call(() -> Approval.<Approval>findById(id));
        return new Decided(answer.outcome().name().toLowerCase(Locale.ROOT),
                PaymentView.ApprovalView.of(approval, payment.currency), payments.view(payment));
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
        BigDecimal max = body.maxAmount() == null ? null : amount("max_amount", body.maxAmount());
        ApprovalDecision.TaskBudget taskBudget = body.taskBudget() == null ? null : new ApprovalDecision.TaskBudget(
                amount("task_budget.amount", body.taskBudget().amount()), ttl("task_budget.ttl", body.taskBudget().ttl(), "72h"));
        ApprovalDecision.AllowSeller allowSeller = body.allowSeller() == null ? null : new ApprovalDecision.AllowSeller(
                amount("allow_seller.max_amount", body.allowSeller().maxAmount()), ttl("allow_seller.ttl", body.allowSeller().ttl(), "24h"));
        return new ApprovalDecision(verdict, body.note(), max, taskBudget, allowSeller);
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
