package io.mppbroker.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.access.AccessRequestRecord;
import io.mppbroker.access.AccessRequestService;
import io.mppbroker.access.AccessRequestView;
import io.mppbroker.access.SubmitAccessRequest;
import io.mppbroker.policy.AgentIdentity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An access request asked for over A2A: the data part has the fields of {@code POST /v1/access-requests}. While a
 * human decides, the task is {@code TASK_STATE_AUTH_REQUIRED}: the agent lacks an authorization and a human grants it
 * out of band (A2A §7.6). Approved, the task completes with the grant as its artifact.
 */
@ApplicationScoped
public class AccessSubject implements TaskSubject {

    public static final String KIND = "access_request";

    private final AccessRequestService requests;
    private final ObjectMapper api;

    public AccessSubject(AccessRequestService requests, ObjectMapper api) {
        this.requests = requests;
        this.api = api;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String idPrefix() {
        return AccessRequestService.PREFIX;
    }

    @Override
    public boolean accepts(JsonNode data) {
        return data.has("justification") && !data.has("request");
    }

    @Override
    public String submit(AgentIdentity agent, JsonNode data, String messageId) {
        SubmitAccessRequest command = TaskSubject.body(api, data, SubmitAccessRequest.class, "an access request");
        // The messageId is the idempotency key: a resent message never asks the humans twice.
        return requests.submit(agent, command, "a2a:" + messageId).id();
    }

    private AccessRequestView view(String subjectId) {
        AccessRequestRecord r = QuarkusTransaction.requiringNew().call(() -> AccessRequestRecord.<AccessRequestRecord>findById(subjectId));
        return requests.view(new AgentIdentity(r.agent, r.project), subjectId);
    }

    @Override
    public SubjectState state(String subjectId) {
        AccessRequestView view = view(subjectId);
        String what = String.join(",", view.actions()) + (view.resource() == null ? "" : " on " + view.resource());
        TaskState state;
        String text;
        SubjectState.Artifact artifact = null;
        switch (view.status()) {
            case "pending" -> {
                state = TaskState.TASK_STATE_AUTH_REQUIRED;
                text = "waiting for a human to grant " + what + " (approval " + view.approvalId() + "); proposed:\n"
                        + (view.proposal() == null ? "" : view.proposal().diff());
            }
            case "approved" -> {
                state = TaskState.TASK_STATE_COMPLETED;
                text = "granted " + what + " by " + view.grant().approvedBy() + " until " + view.grant().expiresAt()
                        + " (grant " + view.grant().id() + "); retry the call";
                artifact = new SubjectState.Artifact("grant", "grant", "the grant now in the project's policy",
                        api.valueToTree(view.grant()));
            }
            case "withdrawn" -> {
                state = TaskState.TASK_STATE_CANCELED;
                text = "withdrawn by the agent";
            }
            default -> {
                state = TaskState.TASK_STATE_REJECTED;
                text = view.status() + (view.decidedBy() == null ? "" : " by " + view.decidedBy())
                        + (view.note() == null ? "" : ": " + view.note());
            }
        }
        Instant at = Instant.parse(view.decidedAt() != null ? view.decidedAt() : view.createdAt());
        return new SubjectState(state, state.name() + ":" + view.status(), at, text, api.valueToTree(view), artifact);
    }

    @Override
    public void withdraw(AgentIdentity agent, String subjectId) {
        TaskSubject.withdrawing(() -> requests.withdraw(agent, subjectId));
    }

    @Override
    public Optional<AgentEvent> event(String subjectId) {
        AccessRequestView view = view(subjectId);
        if (!"approved".equals(view.status()) || view.grant() == null) {
            return Optional.empty();
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("access_request_id", view.id());
        data.put("grant_id", view.grant().id());
        data.put("expires_at", view.grant().expiresAt());
        data.put("approved_by", view.grant().approvedBy());
        data.put("service", view.grant().service());
        data.put("actions", view.grant().actions());
        data.put("resources", view.grant().resources());
        return Optional.of(new AgentEvent(AgentEvent.GRANT_READY, view.id(), AgentEvent.GRANT_READY, view.project(),
                view.agent(), data));
    }

    @Override
    public List<String> changedSince(Collection<String> agents, Instant since) {
        return QuarkusTransaction.requiringNew().call(() -> AccessRequestRecord.<AccessRequestRecord>list(
                "agent in ?1 and updatedAt > ?2", agents, since).stream().map(r -> r.id).toList());
    }
}
