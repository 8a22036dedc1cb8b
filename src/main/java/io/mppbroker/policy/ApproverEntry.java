package io.mppbroker.policy;

/** A human who may approve a project's payments; only the SHA-256 of the approver's token is stored. */
public record ApproverEntry(String id, String tokenSha256) {}
