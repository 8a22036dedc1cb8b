package io.mppbroker.payment;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.mppbroker.approval.Approval;
import io.mppbroker.ledger.Money;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A payment as agents and approvers see it. Amounts are decimal strings in major units. The SPT is never shown. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PaymentView(
        String id,
        String status,
        String project,
        String agent,
        String task,
        String purpose,
        String amount,
        String currency,
        Seller seller,
        DecisionView decision,
        ApprovalView approval,
        Map<String, Object> receipt,
        ResponseView response,
        Failure failure,
        String createdAt,
        String updatedAt) {

    public record Seller(String url, String host, String realm, String networkProfile) {}

    /**
     * Why the payment went the way it did. For a human decision: who, their note, and the revisions that
     * came with it ({@code max_amount}, {@code task_budget}, {@code seller_allowance}), as structured fields.
     * In observe mode, {@code observed} is what the policy would have decided.
     */
    public record DecisionView(String id, String tier, String basis, String rule, String reason, String approvedBy,
                               String note, String maxAmount, Map<String, Object> revisions,
                               @JsonInclude(JsonInclude.Include.NON_NULL) Observed observed) {}

    /** In observe mode (basis {@code autonomous}): the verdict the policy would have given. */
    public record Observed(String tier, String rule, String reason) {}

    public record ApprovalView(String id, String tier, String reason, String status, int requiredApprovals,
                               String decidedBy, String decidedVia, String note, String maxAmount,
                               Map<String, Object> revisions, String createdAt, String decidedAt, String escalatesAt) {

        public static ApprovalView of(Approval a, String currency) {
            return new ApprovalView(a.id, lower(a.tier), a.reason, lower(a.status.name()), a.requiredApprovals,
                    a.decidedBy, a.decidedVia, a.note, money(a.maxAmount, currency), a.revision,
                    a.createdAt == null ? null : a.createdAt.toString(),
                    a.decidedAt == null ? null : a.decidedAt.toString(),
                    a.escalateAt == null ? null : a.escalateAt.toString());
        }
    }

    public record ResponseView(int status, Map<String, List<String>> headers, String body, String bodyBase64) {}

    public record Failure(String code, String detail) {}

    public static PaymentView of(Payment p, Approval approval) {
        Decision d = p.decisionId == null ? null : Decision.findById(p.decisionId);
        DecisionView decision = d == null ? null : new DecisionView(d.id, lower(d.tier), d.basis, d.rule, d.reason,
                p.approvedBy, p.approvalNote, money(p.approvedMaxAmount, p.currency),
                approval == null || approval.revision == null || approval.revision.isEmpty() ? null : approval.revision,
                d.observedTier == null ? null : new Observed(lower(d.observedTier), d.observedRule, d.observedReason));
        ResponseView response = p.responseStatus == null ? null : response(p);
        return new PaymentView(p.id, p.status.wire(), p.project, p.agent, p.task, p.purpose, money(p.amount, p.currency), p.currency,
                new Seller(p.requestUrl, p.sellerHost, p.realm, p.networkProfile),
                decision,
                approval == null ? null : ApprovalView.of(approval, p.currency),
                p.receipt,
                response,
                p.failureCode == null ? null : new Failure(p.failureCode, p.failureDetail),
                p.createdAt.toString(), p.updatedAt.toString());
    }

    private static ResponseView response(Payment p) {
        byte[] body = p.responseBody == null ? new byte[0] : p.responseBody;
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
            return new ResponseView(p.responseStatus, p.responseHeaders, text, null);
        } catch (CharacterCodingException e) {
            return new ResponseView(p.responseStatus, p.responseHeaders, null, Base64.getEncoder().encodeToString(body));
        }
    }

    static String money(BigDecimal amount, String currency) {
        return Money.format(amount, currency);
    }

    static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }
}
