package io.mppbroker.access;

import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/access-requests}: {@code justification} (required); {@code action} ({@code stripe:charges:read})
 * or {@code actions} (several of one service); {@code resource}; {@code ttl} ({@code 2h}, {@code 24h},
 * {@code 7d}); {@code context} ({@code branch} for git). Without an action, the agent's most recent denial gives
 * the action and the resource. {@code project} may be given but must be the agent's own.
 */
public record SubmitAccessRequest(String justification, String action, List<String> actions, String resource,
                                  String ttl, Map<String, Object> context, String project) {}
