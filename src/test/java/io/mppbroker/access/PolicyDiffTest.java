package io.mppbroker.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.difflib.UnifiedDiffUtils;
import io.mppbroker.policy.Grant;
import io.mppbroker.policy.PolicyLoader;
import io.mppbroker.policy.ProjectPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The proposal as a unified diff against the policy file, which patch applies to a valid policy. */
class PolicyDiffTest {

    static final Instant EXPIRES = Instant.parse("2026-11-22T12:00:00Z");
    static final GrantProposal CHARGES = new GrantProposal("stripe", List.of("charges:read"),
            List.of("stripe.com/v1/charges"), List.of(), 86400);

    static final List<String> WITH_GRANTS = List.of(
            "project: project-billing",
            "currency: usd",
            "payment:",
            "  stripe_payment_method: pm_card_visa",
            "tiers: {auto_below: \"10.00\", explicit_above: \"250.00\", ceiling: \"1000.00\"}",
            "sellers: {default: deny}",
            "agents:",
            "  - id: billing-reconciler-1",
            "    token_sha256: \"" + "a".repeat(64) + "\"",
            "approvers:",
            "  - id: fin",
            "    token_sha256: \"" + "b".repeat(64) + "\"",
            "grants:",
            "  - service: aws",
            "    actions: [s3:GetObject]",
            "    resources: [\"arn:aws:s3:::ledger-internal/*\"]",
            "",
            "mode: enforce");

    @Test
    void theGrantIsAddedAtTheEndOfTheGrantsSection() {
        String diff = PolicyDiff.of("project-billing.yaml", WITH_GRANTS, CHARGES, EXPIRES);
        assertEquals("""
                --- a/project-billing.yaml
                +++ b/project-billing.yaml
                @@ -14,5 +14,9 @@
                   - service: aws
                     actions: [s3:GetObject]
                     resources: ["arn:aws:s3:::ledger-internal/*"]
                +  - service: stripe
                +    actions: ["charges:read"]
                +    resources: ["stripe.com/v1/charges"]
                +    expires: "2026-11-22T12:00:00Z"
                \s
                 mode: enforce
                """, diff);
    }

    @Test
    void aFileWithoutGrantsGetsTheSection() {
        List<String> file = WITH_GRANTS.subList(0, 12);
        String diff = PolicyDiff.of("project-billing.yaml", file, CHARGES, EXPIRES);
        assertTrue(diff.contains("""
                +grants:
                +  - service: stripe
                +    actions: ["charges:read"]
                +    resources: ["stripe.com/v1/charges"]
                +    expires: "2026-11-22T12:00:00Z"
                """), diff);
    }

    @Test
    void thePatchedFileIsAValidPolicyWithTheGrant() throws Exception {
        String diff = PolicyDiff.of("project-billing.yaml", WITH_GRANTS, CHARGES, EXPIRES);
        List<String> patched = UnifiedDiffUtils.parseUnifiedDiff(List.of(diff.split("\n"))).applyTo(WITH_GRANTS);
        ProjectPolicy policy = PolicyLoader.parse(Path.of("project-billing.yaml"),
                (String.join("\n", patched) + "\n").getBytes(StandardCharsets.UTF_8));
        Grant added = policy.grants().get(1);
        assertEquals("stripe", added.service());
        assertEquals(List.of("charges:read"), added.actions());
        assertEquals(List.of("stripe.com/v1/charges"), added.resources());
        assertEquals(EXPIRES, added.expires());
    }
}
