package io.mppbroker.approval;

import io.mppbroker.api.ApiProblem;
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

    public ApprovalResource(PaymentService payments, Callers callers) {
        this.payments = payments;
        this.callers = callers;
    }

    /** {@code max_amount} is a decimal string ("250.00"); a JSON number is accepted but strings keep it exact. */
    public record DecisionBody(String decision, String note, String maxAmount) {}

    public record Decided(PaymentView.ApprovalView approval, PaymentView payment) {}

    public record Pending(PaymentView.ApprovalView approval, PaymentView payment) {}

    @GET
    @Operation(summary = "Approvals waiting for this approver, with the payment's context")
    public List<Pending> pending(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        ApproverIdentity approver = callers.approver(authorization);
        return QuarkusTransaction.requiringNew().call(() -> Approval.pendingFor(approver.projects()).stream()
                .map(a -> {
                    Payment p = Payment.findById(a.paymentId);
                    return new Pending(PaymentView.ApprovalView.of(a, p.currency), PaymentView.of(p, a));
                })
                .toList());
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
        Approval approval = payments.decide(approver, id, decision);
        Payment payment = payments.find(approval.paymentId);
        return new Decided(PaymentView.ApprovalView.of(approval, payment.currency), payments.view(payment));
    }

    private static ApprovalDecision parse(DecisionBody body) {
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
        BigDecimal max = null;
        if (body.maxAmount() != null) {
            try {
                max = new BigDecimal(body.maxAmount().strip());
            } catch (NumberFormatException e) {
                throw ApiProblem.badRequest("max_amount must be a decimal amount such as \"250.00\"");
            }
            if (max.signum() <= 0 || max.scale() > 4 || max.precision() > 16) {
                throw ApiProblem.badRequest("max_amount must be a positive amount with at most 4 decimals");
            }
            if (verdict == ApprovalDecision.Verdict.DENY) {
                throw ApiProblem.badRequest("max_amount only goes with \"approve\"");
            }
        }
        return new ApprovalDecision(verdict, body.note(), max);
    }
}
