package io.mppbroker.policy;

/** An agent allowed to spend for a project; only the SHA-256 of its bearer token is stored. */
public record AgentEntry(String id, String tokenSha256) {}
