package io.mppbroker.a2a;

import java.util.Map;

/**
 * An event for REST webhooks ({@code grant_ready}, {@code payment_decided}) about one record of one agent.
 * {@code version} is unique per record and event, so each webhook gets it once.
 */
public record AgentEvent(String type, String subjectId, String version, String project, String agent,
                         Map<String, Object> data) {

    public static final String GRANT_READY = "grant_ready";
    public static final String PAYMENT_DECIDED = "payment_decided";
    public static final java.util.List<String> TYPES = java.util.List.of(GRANT_READY, PAYMENT_DECIDED);
}
