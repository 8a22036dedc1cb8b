package io.mppbroker.a2a;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The A2A 1.0 JSON shapes (camelCase fields, ProtoJSON enum names) of tasks and stream events. The broker's
 * REST API is snake_case; A2A objects are written with this mapper only, and records inside data parts keep
 * the REST API's shape.
 */
public final class TaskJson {

    /** Unknown fields are ignored, as A2A §5.7 asks for forward compatibility. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private TaskJson() {}

    public static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant.truncatedTo(ChronoUnit.MILLIS));
    }

    public static ObjectNode task(A2aTask task, SubjectState state, boolean withArtifacts) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", task.id);
        node.put("contextId", task.contextId);
        node.set("status", status(task, state));
        if (withArtifacts && state.artifact() != null) {
            node.putArray("artifacts").add(artifact(state.artifact()));
        }
        ObjectNode metadata = node.putObject("metadata");
        metadata.put("kind", task.kind);
        metadata.put("subjectId", task.subjectId);
        return node;
    }

    public static ObjectNode status(A2aTask task, SubjectState state) {
        ObjectNode status = MAPPER.createObjectNode();
        status.put("state", state.state().name());
        ObjectNode message = status.putObject("message");
        message.put("messageId", task.id + "/" + state.version());
        message.put("contextId", task.contextId);
        message.put("taskId", task.id);
        message.put("role", "ROLE_AGENT");
        ArrayNode parts = message.putArray("parts");
        parts.addObject().put("text", state.text());
        if (state.detail() != null) {
            ObjectNode data = parts.addObject();
            data.set("data", state.detail());
            data.put("mediaType", "application/json");
        }
        status.put("timestamp", timestamp(state.timestamp()));
        return status;
    }

    public static ObjectNode artifact(SubjectState.Artifact artifact) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("artifactId", artifact.id());
        node.put("name", artifact.name());
        node.put("description", artifact.description());
        ObjectNode part = node.putArray("parts").addObject();
        part.set("data", artifact.data());
        part.put("mediaType", "application/json");
        return node;
    }

    /** StreamResponse {@code statusUpdate}. */
    public static ObjectNode statusUpdate(A2aTask task, SubjectState state) {
        ObjectNode event = MAPPER.createObjectNode();
        event.put("taskId", task.id);
        event.put("contextId", task.contextId);
        event.set("status", status(task, state));
        return MAPPER.createObjectNode().set("statusUpdate", event);
    }

    /** StreamResponse {@code artifactUpdate}: the whole artifact in one chunk. */
    public static ObjectNode artifactUpdate(A2aTask task, SubjectState state) {
        ObjectNode event = MAPPER.createObjectNode();
        event.put("taskId", task.id);
        event.put("contextId", task.contextId);
        event.set("artifact", artifact(state.artifact()));
        event.put("append", false);
        event.put("lastChunk", true);
        return MAPPER.createObjectNode().set("artifactUpdate", event);
    }

    /** StreamResponse {@code task}. */
    public static ObjectNode taskEvent(A2aTask task, SubjectState state) {
        return MAPPER.createObjectNode().set("task", task(task, state, true));
    }
}
