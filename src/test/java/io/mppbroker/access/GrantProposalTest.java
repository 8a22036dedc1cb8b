package io.mppbroker.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.policy.Grant;
import io.mppbroker.policy.ProjectPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The proposal is exactly what was asked, and an approval can only narrow it. */
class GrantProposalTest {

    static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    /** A project whose policy file grants nothing: whatever is allowed comes from the proposal. */
    static ProjectPolicy emptyPolicy() {
        return AccessPolicyTest.policy(List.<Grant>of());
    }

    static AccessDecision decide(GrantProposal p, String action, String resource, Map<String, String> context, Instant at) {
        return AccessPolicy.authorize(emptyPolicy(), List.of(p.toGrant("grt_test", NOW.plus(p.ttl()))),
                new AccessRequest(action, resource, context), at);
    }

    @Test
    void theProposalIsExactlyTheActionAndResourceAsked() {
        GrantProposal p = GrantProposal.leastPrivilege("stripe", List.of("stripe:charges:read"), "stripe.com/v1/charges",
                Map.of(), Duration.ofHours(24));
        assertEquals(new GrantProposal("stripe", List.of("charges:read"), List.of("stripe.com/v1/charges"), List.of(), 86400), p);
    }

    @Test
    void aProposalAllowsWhatWasAskedAndNothingBeside() {
        GrantProposal p = GrantProposal.leastPrivilege("stripe", List.of("stripe:charges:read"), "stripe.com/v1/charges",
                Map.of(), Duration.ofHours(1));
        assertTrue(decide(p, "stripe:charges:read", "stripe.com/v1/charges", Map.of(), NOW).allowed());
        // not the write, not another resource type, not one charge below it, not another service
        assertFalse(decide(p, "stripe:charges:write", "stripe.com/v1/charges", Map.of(), NOW).allowed());
        assertFalse(decide(p, "stripe:customers:read", "stripe.com/v1/customers", Map.of(), NOW).allowed());
        assertFalse(decide(p, "stripe:charges:read", "stripe.com/v1/charges/ch_1", Map.of(), NOW).allowed());
        assertFalse(decide(p, "stripe:charges:read", "stripe.com/v1/refunds", Map.of(), NOW).allowed());
        assertFalse(decide(p, "aws:s3:GetObject", "stripe.com/v1/charges", Map.of(), NOW).allowed());
        // and nothing from its expiry on
        assertTrue(decide(p, "stripe:charges:read", "stripe.com/v1/charges", Map.of(), NOW.plusSeconds(3599)).allowed());
        assertFalse(decide(p, "stripe:charges:read", "stripe.com/v1/charges", Map.of(), NOW.plusSeconds(3600)).allowed());
    }

    @Test
    void gitProposalsAreLimitedToTheBranchOfTheContext() {
        GrantProposal p = GrantProposal.leastPrivilege("git", List.of("git:push"), "acme/billing-ledger",
                Map.of("branch", "feature/fx"), Duration.ofHours(2));
        assertEquals(List.of("feature/fx"), p.branches());
        assertTrue(decide(p, "git:push", "acme/billing-ledger", Map.of("branch", "feature/fx"), NOW).allowed());
        assertFalse(decide(p, "git:push", "acme/billing-ledger", Map.of("branch", "main"), NOW).allowed());
        assertFalse(decide(p, "git:push", "acme/billing-ledger", Map.of(), NOW).allowed());
        assertFalse(decide(p, "git:read", "acme/billing-ledger", Map.of("branch", "feature/fx"), NOW).allowed());
    }

    @Test
    void narrowingShortensAndDropsButNeverWidens() {
        GrantProposal p = GrantProposal.leastPrivilege("stripe", List.of("stripe:charges:read", "stripe:customers:read"),
                null, Map.of(), Duration.ofHours(24));
        GrantProposal narrowed = p.narrowed(Duration.ofHours(2), List.of("stripe:customers:read"));
        assertEquals(List.of("customers:read"), narrowed.actions());
        assertEquals(Duration.ofHours(2), narrowed.ttl());
        assertEquals(List.of("charges:read"), p.narrowed(null, List.of("charges:read")).actions(), "local names work too");
        assertEquals(p, p.narrowed(null, null));
        assertEquals(p, p.narrowed(Duration.ofHours(24), List.of()));

        ApiProblem longer = assertThrows(ApiProblem.class, () -> p.narrowed(Duration.ofHours(25), null));
        assertEquals(400, longer.status());
        ApiProblem other = assertThrows(ApiProblem.class, () -> p.narrowed(null, List.of("stripe:charges:write")));
        assertTrue(other.detail().contains("was not asked for"), other.detail());
        assertThrows(ApiProblem.class, () -> p.narrowed(null, List.of("stripe:*")));
        assertThrows(ApiProblem.class, () -> p.narrowed(null, List.of("*")));
    }
}
