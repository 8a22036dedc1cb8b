package io.mppbroker.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.payment.PaymentCommand;
import io.mppbroker.payment.PaymentService;
import io.mppbroker.payment.PaymentStatus;
import io.mppbroker.payment.PaymentView;
import io.mppbroker.payment.PaymentsConfig;
import io.mppbroker.policy.AgentIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import io.mppbroker.payment.Payment;
import io.quarkus.narayana.jta.QuarkusTransaction;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A payment asked for over A2A: the data part has the fields of {@code POST /v1/payments}. A payment waiting for
 * an approver is {@code TASK_STATE_INPUT_REQUIRED}: a decision on this spend, not a credential (see docs/a2a.md).
 */
@ApplicationScoped
public class PaymentSubject implements TaskSubject {

    public static final String KIND = "payment";

    private final PaymentService payments;
    private final PaymentsConfig config;
    private final ObjectMapper api;

    public PaymentSubject(PaymentService payments, PaymentsConfig config, ObjectMapper api) {
        this.payments = payments;
        this.config = config;
        this.api = api;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String idPrefix() {
        return "pay";
    }

    @Override
    public boolean accepts(JsonNode data) {
        return data.has("request");
    }

    @Override
    public String submit(AgentIdentity agent, JsonNode data, String messageId) {
        PaymentCommand command = TaskSubject.body(api, data, PaymentCommand.class, "a payment request");
        // The messageId is the idempotency key: a resent message never pays twice.
        return payments.submit(agent, command, "a2a:" + messageId, config.maxWait()).id();
    }

    @Override
    public SubjectState state(String subjectId) {
        PaymentView view = payments.view(payments.find(subjectId));
        PaymentStatus status = PaymentStatus.valueOf(view.status().toUpperCase(Locale.ROOT));
        String amount = view.amount() == null ? "" : view.amount() + " " + view.currency() + " ";
        String host = view.seller() == null ? "" : view.seller().host();
        TaskState state;
        String text;
        SubjectState.Artifact artifact = null;
        switch (status) {
            case PROCESSING -> {
                state = TaskState.TASK_STATE_WORKING;
                text = "fetching " + host + " and deciding";
            }
            case APPROVED -> {
                state = TaskState.TASK_STATE_WORKING;
                text = "approved by " + view.decision().approvedBy() + "; paying against a fresh challenge";
            }
            case PENDING_APPROVAL -> {
                state = TaskState.TASK_STATE_INPUT_REQUIRED;
                text = "waiting for a human to approve " + amount + "to " + host + " (approval " + view.approval().id() + "): "
                        + view.approval().reason();
            }
            case PAID -> {
                state = TaskState.TASK_STATE_COMPLETED;
                text = "paid " + amount + "to " + host;
                artifact = new SubjectState.Artifact("payment-result", "payment", "the payment and the seller's response",
                        api.valueToTree(view));
            }
            case NOT_REQUIRED -> {
                state = TaskState.TASK_STATE_COMPLETED;
                text = host + " answered without asking for payment";
                artifact = new SubjectState.Artifact("payment-result", "payment", "the seller's response", api.valueToTree(view));
            }
            case DENIED -> {
                state = TaskState.TASK_STATE_REJECTED;
                text = "denied: " + (view.decision() == null ? "by policy" : view.decision().reason());
            }
            case WITHDRAWN -> {
                state = TaskState.TASK_STATE_CANCELED;
                text = "withdrawn by the agent";
            }
            default -> {
                state = TaskState.TASK_STATE_FAILED;
                text = view.failure() == null ? status.wire() : view.failure().code() + ": " + view.failure().detail();
            }
        }
        String version = state.name() + ":" + status.wire()
                + (status == PaymentStatus.PENDING_APPROVAL ? ":" + view.approval().id() : "");
        return new SubjectState(state, version, Instant.parse(view.updatedAt()), text, api.valueToTree(view), artifact);
    }

    @Override
    public void withdraw(AgentIdentity agent, String subjectId) {
        TaskSubject.withdrawing(() -> payments.withdraw(agent, subjectId));
    }

    @Override
    public Optional<AgentEvent> event(String subjectId) {
        PaymentView view = payments.view(payments.find(subjectId));
        PaymentStatus status = PaymentStatus.valueOf(view.status().toUpperCase(Locale.ROOT));
        // Decided by a human (or left to expire): the agent waiting on that approval wants to know.
        if (!status.isFinal() || view.approval() == null || status == PaymentStatus.WITHDRAWN) {
            return Optional.empty();
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("payment_id", view.id());
        data.put("status", view.status());
        data.put("task", view.task());
        data.put("amount", view.amount());
        data.put("currency", view.currency());
        data.put("approval_id", view.approval().id());
        data.put("approval_status", view.approval().status());
        data.put("decided_by", view.approval().decidedBy());
        data.put("decided_via", view.approval().decidedVia());
        data.put("note", view.approval().note());
        data.put("revisions", view.approval().revisions() == null ? Map.of() : view.approval().revisions());
        return Optional.of(new AgentEvent(AgentEvent.PAYMENT_DECIDED, view.id(), AgentEvent.PAYMENT_DECIDED + ":" + view.status(),
                view.project(), view.agent(), data));
    }

    @Override
    public List<String> changedSince(Collection<String> agents, Instant since) {
        return QuarkusTransaction.requiringNew().call(() -> Payment.<Payment>list(
                "agent in ?1 and updatedAt > ?2 and approvalId is not null", agents, since).stream().map(p -> p.id).toList());
    }
}
