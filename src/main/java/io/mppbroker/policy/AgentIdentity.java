package io.mppbroker.policy;

/** Who a bearer token belongs to: an agent of exactly one project. */
public record AgentIdentity(String agentId, String project) {}
