package io.mppbroker.a2a;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.policy.AgentIdentity;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A kind of broker record an agent can ask for over A2A (a payment, an access request): how a message's data
 * part becomes one, how its state reads as an A2A task, how it is withdrawn, and which webhook event it raises.
 */
public interface TaskSubject {

    /** Stored in {@code a2a_task.kind}. */
    String kind();

    /** The id prefix of its records ({@code pay}, {@code acr}). */
    String idPrefix();

    /** Whether a message's data part asks for this kind of record. */
    boolean accepts(JsonNode data);

    /** Creates the record (idempotent per agent and {@code messageId}) and answers its id. */
    String submit(AgentIdentity agent, JsonNode data, String messageId);

    SubjectState state(String subjectId);

    /** Withdraws a record still waiting for a human; throws {@link A2aError} when it cannot be. */
    void withdraw(AgentIdentity agent, String subjectId);

    /** The webhook event the record's current state raises, if any. */
    Optional<AgentEvent> event(String subjectId);

    /** Records of these agents changed since {@code since} that may raise an event: the sweep re-checks them. */
    List<String> changedSince(Collection<String> agents, Instant since);

    /** A data part read as the REST body it mirrors; a body the REST API could not read is invalid params. */
    static <T> T body(ObjectMapper api, JsonNode data, Class<T> type, String what) {
        try {
            return api.treeToValue(data, type);
        } catch (JsonProcessingException e) {
            throw A2aError.invalidParams("message.parts.data", "not " + what + ": " + e.getOriginalMessage());
        }
    }

    /** Runs the record service's withdrawal; its 409 (already decided) becomes {@link NotWithdrawable}. */
    static void withdrawing(Runnable withdrawal) {
        try {
            withdrawal.run();
        } catch (ApiProblem e) {
            if (e.status() == 409) {
                throw new NotWithdrawable(e.detail());
            }
            throw e;
        }
    }
}
