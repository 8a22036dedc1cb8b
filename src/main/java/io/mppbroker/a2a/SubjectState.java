package io.mppbroker.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * What an agent is told about a record right now, in A2A terms. {@code version} changes exactly when the
 * agent should hear about it again (it keys push deliveries); {@code detail} is the record as the REST API
 * shows it; {@code artifact} is the result once there is one.
 */
public record SubjectState(TaskState state, String version, Instant timestamp, String text, JsonNode detail,
                           Artifact artifact) {

    /** A task output: a data part holding the payment result or the grant. */
    public record Artifact(String id, String name, String description, JsonNode data) {}
}
