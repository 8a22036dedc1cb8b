package io.mppbroker.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * An agent allowed to spend for a project; only the SHA-256 of its bearer token is stored. {@code owner} is
 * the approver responsible for the agent (an approver id of the same file); with
 * {@code routing.owner_cannot_approve} that approver may not approve the agent's payments.
 */
public record AgentEntry(String id, String tokenSha256, Optional<String> owner) {
    public AgentEntry {
        owner = owner == null ? Optional.empty() : owner;
    }

    /** An agent without an owner. */
    public AgentEntry(String id, String tokenSha256) {
        this(id, tokenSha256, Optional.empty());
    }

    public boolean isOwnedBy(String approverId) {
        return owner.isPresent() && Objects.equals(owner.get(), approverId);
    }
}
