package io.mppbroker.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mppbroker.payment.Ids;
import io.mppbroker.policy.AgentIdentity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.persistence.PersistenceException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One service for A2A tasks: a message with a data part becomes a payment or an access request, and the task
 * reads, cancels and pushes as that record. Only the agent that sent the message sees its task; to anyone else
 * it does not exist (A2A §13.1).
 */
@ApplicationScoped
public class A2aTasks {

    private static final int MAX_LISTED = 1000;

    private final List<TaskSubject> subjects;
    private final Map<String, TaskSubject> byKind;
    private final PushTargets pushTargets;
    private final PushUrlGuard guard;

    public A2aTasks(Instance<TaskSubject> subjects, PushTargets pushTargets, PushUrlGuard guard) {
        this.guard = guard;
        this.subjects = subjects.stream().toList();
        this.byKind = this.subjects.stream().collect(Collectors.toMap(TaskSubject::kind, s -> s));
        this.pushTargets = pushTargets;
    }

    /** A task and its state, read together. */
    public record Current(A2aTask task, SubjectState state) {}

    /** SendMessage: the task for this message, created on first sight of its messageId. */
    public Current send(AgentIdentity agent, JsonNode params) {
        JsonNode message = params.path("message");
        if (!message.isObject()) {
            throw A2aError.invalidParams("message", "message is required");
        }
        String messageId = text(message, "messageId");
        if (messageId == null || messageId.isBlank() || messageId.length() > 200) {
            throw A2aError.invalidParams("message.messageId", "messageId is required (1 to 200 characters)");
        }
        if (!"ROLE_USER".equals(text(message, "role"))) {
            throw A2aError.invalidParams("message.role", "a client message has role ROLE_USER");
        }
        String taskId = text(message, "taskId");
        if (taskId != null) {
            Current existing = current(agent, taskId);
            throw A2aError.unsupported(existing.state().state().isTerminal()
                    ? "task " + taskId + " is in a terminal state and takes no more messages"
                    : "this agent takes no follow-up messages on a task; use CancelTask to withdraw it, or send a new message");
        }
        String contextId = text(message, "contextId");
        if (contextId != null && (contextId.isBlank() || contextId.length() > 200)) {
            throw A2aError.invalidParams("message.contextId", "contextId is 1 to 200 characters");
        }
        JsonNode data = dataPart(message);
        TaskSubject subject = subjects.stream().filter(s -> s.accepts(data)).findFirst()
                .orElseThrow(() -> A2aError.invalidParams("message.parts.data",
                        "the data part must be a payment request (task, purpose, request) or an access request (justification, action?, resource?, ttl?)"));
        Optional<PushTargets.Spec> push = pushSpec(params.path("configuration").path("taskPushNotificationConfig"));
        push.ifPresent(p -> checkPushUrl(p.url()));

        Optional<A2aTask> known = QuarkusTransaction.requiringNew().call(() -> A2aTask.byMessage(agent.project(), agent.agentId(), messageId));
        A2aTask task = known.orElseGet(() -> create(agent, subject, data, messageId, contextId));
        if (known.isEmpty()) {
            push.ifPresent(p -> pushTargets.createForTask(agent, task, p));
        }
        return new Current(task, state(task));
    }

    private A2aTask create(AgentIdentity agent, TaskSubject subject, JsonNode data, String messageId, String contextId) {
        String subjectId = subject.submit(agent, data, messageId);
        try {
            return QuarkusTransaction.requiringNew().call(() -> {
                A2aTask t = new A2aTask();
                t.id = Ids.next("task");
                t.contextId = contextId != null ? contextId : Ids.next("ctx");
                t.project = agent.project();
                t.agent = agent.agentId();
                t.messageId = messageId;
                t.kind = subject.kind();
                t.subjectId = subjectId;
                t.open = true;
                t.createdAt = Instant.now();
                t.persist();
                t.flush();
                return t;
            });
        } catch (PersistenceException e) {
            // The same message sent twice at once: the other request created the task (and the record, once).
            return QuarkusTransaction.requiringNew().call(() -> A2aTask.byMessage(agent.project(), agent.agentId(), messageId)).orElseThrow(() -> e);
        }
    }

    private static JsonNode dataPart(JsonNode message) {
        JsonNode parts = message.path("parts");
        if (!parts.isArray() || parts.isEmpty()) {
            throw A2aError.invalidParams("message.parts", "at least one part is required");
        }
        JsonNode found = null;
        for (JsonNode part : parts) {
            if (part.has("raw") || part.has("url")) {
                throw A2aError.contentTypeNotSupported("file parts; send the request as a data part (application/json)");
            }
            String mediaType = text(part, "mediaType");
            if (part.has("data") && (mediaType == null || mediaType.equals("application/json"))) {
                if (!part.get("data").isObject()) {
                    throw A2aError.invalidParams("message.parts.data", "the data part must be a JSON object");
                }
                if (found != null) {
                    throw A2aError.invalidParams("message.parts", "one data part per message: one request per task");
                }
                found = part.get("data");
            } else if (part.has("data")) {
                throw A2aError.contentTypeNotSupported(mediaType);
            }
        }
        if (found == null) {
            throw A2aError.invalidParams("message.parts", "a data part with a payment request or an access request is required");
        }
        return found;
    }

    /** The task of this agent; anyone else's, or none, is "not found". */
    public Current current(AgentIdentity agent, String taskId) {
        A2aTask task = owned(agent, taskId);
        return new Current(task, state(task));
    }

    public A2aTask owned(AgentIdentity agent, String taskId) {
        if (taskId == null || taskId.isBlank()) {
            throw A2aError.invalidParams("id", "the task id is required");
        }
        A2aTask task = QuarkusTransaction.requiringNew().call(() -> A2aTask.<A2aTask>findById(taskId));
        if (task == null || !task.project.equals(agent.project()) || !task.agent.equals(agent.agentId())) {
            throw A2aError.taskNotFound(taskId);
        }
        return task;
    }

    public SubjectState state(A2aTask task) {
        return byKind.get(task.kind).state(task.subjectId);
    }

    /** CancelTask withdraws the payment or access request while a human has not decided it yet. */
    public Current cancel(AgentIdentity agent, String taskId) {
        Current current = current(agent, taskId);
        if (current.state().state().isTerminal()) {
            throw A2aError.taskNotCancelable(taskId, "the task is " + current.state().state().name());
        }
        try {
            byKind.get(current.task().kind).withdraw(agent, current.task().subjectId);
        } catch (NotWithdrawable e) {
            throw A2aError.taskNotCancelable(taskId, e.getMessage());
        }
        return new Current(current.task(), state(current.task()));
    }

    /** ListTasks: the agent's tasks, most recently updated first, with an offset cursor as the page token. */
    public ObjectNode list(AgentIdentity agent, JsonNode params) {
        int pageSize = params.has("pageSize") ? params.get("pageSize").asInt(-1) : 50;
        if (pageSize < 1 || pageSize > 100) {
            throw A2aError.invalidParams("pageSize", "pageSize is 1 to 100");
        }
        String contextId = text(params, "contextId");
        String status = text(params, "status");
        if (status != null) {
            try {
                TaskState.valueOf(status);
            } catch (IllegalArgumentException e) {
                throw A2aError.invalidParams("status", "unknown task state " + status);
            }
        }
        Instant after = null;
        if (text(params, "statusTimestampAfter") != null) {
            try {
                after = Instant.parse(text(params, "statusTimestampAfter"));
            } catch (RuntimeException e) {
                throw A2aError.invalidParams("statusTimestampAfter", "an ISO 8601 UTC timestamp is expected");
            }
        }
        int offset = offset(text(params, "pageToken"));
        boolean withArtifacts = params.path("includeArtifacts").asBoolean(false);
        List<Current> all = new ArrayList<>();
        for (A2aTask t : QuarkusTransaction.requiringNew().call(() -> A2aTask.ofAgent(agent.project(), agent.agentId(), MAX_LISTED))) {
            if (contextId == null || contextId.equals(t.contextId)) {
                all.add(new Current(t, state(t)));
            }
        }
        Instant since = after;
        List<Current> matching = all.stream()
                .filter(c -> status == null || c.state().state().name().equals(status))
                .filter(c -> since == null || !c.state().timestamp().isBefore(since))
                .sorted(Comparator.comparing((Current c) -> c.state().timestamp()).reversed().thenComparing(c -> c.task().id))
                .toList();
        ObjectNode result = TaskJson.MAPPER.createObjectNode();
        ArrayNode tasks = result.putArray("tasks");
        matching.stream().skip(offset).limit(pageSize).forEach(c -> tasks.add(TaskJson.task(c.task(), c.state(), withArtifacts)));
        int next = offset + pageSize;
        result.put("nextPageToken", next < matching.size()
                ? Base64.getUrlEncoder().withoutPadding().encodeToString(String.valueOf(next).getBytes(StandardCharsets.UTF_8)) : "");
        result.put("pageSize", pageSize);
        result.put("totalSize", matching.size());
        return result;
    }

    private static int offset(String token) {
        if (token == null || token.isEmpty()) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            throw A2aError.invalidParams("pageToken", "not a page token from this agent");
        }
    }

    // ---- push notification configs --------------------------------------------------------------------

    public PushTarget createPushConfig(AgentIdentity agent, JsonNode params) {
        A2aTask task = owned(agent, text(params, "taskId"));
        PushTargets.Spec spec = pushSpec(params).orElseThrow(() -> A2aError.invalidParams("url", "url is required"));
        checkPushUrl(spec.url());
        return pushTargets.createForTask(agent, task, spec);
    }

    public PushTarget pushConfig(AgentIdentity agent, JsonNode params) {
        A2aTask task = owned(agent, text(params, "taskId"));
        String id = text(params, "id");
        return pushTargets.ofTask(task.id, id == null ? "" : id).orElseThrow(() -> A2aError.taskNotFound(task.id));
    }

    public List<PushTarget> pushConfigs(AgentIdentity agent, JsonNode params) {
        return pushTargets.ofTask(owned(agent, text(params, "taskId")).id);
    }

    public void deletePushConfig(AgentIdentity agent, JsonNode params) {
        A2aTask task = owned(agent, text(params, "taskId"));
        String id = text(params, "id");
        if (id == null) {
            throw A2aError.invalidParams("id", "the push notification config id is required");
        }
        pushTargets.ofTask(task.id, id).ifPresent(t -> pushTargets.delete(agent, PushTarget.Kind.A2A, t.id));
    }

    /** TaskPushNotificationConfig as A2A writes it; the token and credentials are never echoed back. */
    public static ObjectNode pushConfigJson(PushTarget t) {
        ObjectNode node = TaskJson.MAPPER.createObjectNode();
        node.put("id", t.id);
        node.put("taskId", t.taskId);
        node.put("url", t.url);
        if (t.authScheme != null) {
            node.putObject("authentication").put("scheme", t.authScheme);
        }
        return node;
    }

    private static Optional<PushTargets.Spec> pushSpec(JsonNode config) {
        if (!config.isObject()) {
            return Optional.empty();
        }
        String url = text(config, "url");
        if (url == null) {
            throw A2aError.invalidParams("url", "a push notification config needs a url");
        }
        String token = text(config, "token");
        JsonNode auth = config.path("authentication");
        String scheme = auth.isObject() ? text(auth, "scheme") : null;
        String credentials = auth.isObject() ? text(auth, "credentials") : null;
        if (auth.isObject() && (scheme == null || !scheme.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}"))) {
            throw A2aError.invalidParams("authentication.scheme", "an HTTP authentication scheme such as Bearer is required");
        }
        if (badHeaderValue(token) || badHeaderValue(credentials)) {
            throw A2aError.invalidParams("token", "token and credentials are at most 4096 printable characters");
        }
        return Optional.of(new PushTargets.Spec(url, token, scheme, credentials, List.of()));
    }

    private static boolean badHeaderValue(String value) {
        return value != null && (value.length() > 4096 || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f));
    }

    private void checkPushUrl(String url) {
        try {
            // Checked before anything is created, so a refused URL leaves no payment or task behind.
            guard.check(url);
        } catch (PushUrlGuard.Refused e) {
            throw A2aError.invalidParams("url", e.getMessage());
        }
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || !v.isTextual() ? null : v.asText();
    }
}
