package io.mppbroker.access;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mppbroker.policy.AgentEntry;
import io.mppbroker.policy.ApproverEntry;
import io.mppbroker.policy.Budgets;
import io.mppbroker.policy.Grant;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.RecurringRule;
import io.mppbroker.policy.SellerRules;
import io.mppbroker.policy.Tiers;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The grants of the example, decided without I/O. */
class AccessPolicyTest {

    static final List<Grant> EXAMPLE = List.of(
            new Grant("project-billing#0", "aws", List.of("s3:GetObject", "s3:PutObject"), List.of("arn:aws:s3:::ledger-internal/*"), null, null),
            new Grant("project-billing#1", "git", List.of("read", "push"), List.of("acme/billing-ledger"), List.of("feature/*"), null),
            new Grant("project-billing#2", "tools", List.of("Read", "Edit", "Bash"), null, null, List.of("rm -rf", "git push --force")));

    static ProjectPolicy policy(List<Grant> grants) {
        return new ProjectPolicy("project-billing", "usd", List.of(new AgentEntry("billing-reconciler-1", "0".repeat(64))),
                "pm_card_visa", Budgets.NONE, new Tiers(new BigDecimal("1"), new BigDecimal("2"), new BigDecimal("3")),
                new SellerRules(SellerRules.Default.DENY, List.of(), List.of()), RecurringRule.DEFAULT, List.of(new ApproverEntry("fin", "1".repeat(64))), null,
                Path.of("project-billing.yaml"), "0".repeat(64), grants);
    }

    static AccessDecision decide(String action, String resource, Map<String, String> context) {
        return AccessPolicy.authorize(policy(EXAMPLE), new AccessRequest(action, resource, context));
    }

    static AccessDecision allow(String grant) {
        return new AccessDecision(AccessDecision.Verdict.ALLOW, grant, "granted by " + grant);
    }

    static AccessDecision deny(String grant, String reason) {
        return new AccessDecision(AccessDecision.Verdict.DENY, grant, reason);
    }

    @Test
    void withoutGrantsEverythingIsDenied() {
        assertEquals(deny(null, "no policy grants stripe:* for project-billing"),
                AccessPolicy.authorize(policy(List.of()), new AccessRequest("stripe:charges:read", "stripe.com/v1/charges", null)));
        assertEquals(deny(null, "no policy grants stripe:* for project-billing"), decide("stripe:charges:read", "stripe.com/v1/charges", null));
    }

    @Test
    void awsObjectsInsideTheGrantedBucketOnly() {
        assertEquals(allow("project-billing#0"), decide("aws:s3:GetObject", "arn:aws:s3:::ledger-internal/2026/q1.csv", null));
        assertEquals(allow("project-billing#0"), decide("aws:s3:PutObject", "arn:aws:s3:::ledger-internal/x", null));
        assertEquals(deny(null, "no policy grants aws:s3:DeleteObject for project-billing"),
                decide("aws:s3:DeleteObject", "arn:aws:s3:::ledger-internal/x", null));
        assertEquals(deny(null, "no grant for aws:s3:GetObject covers resource arn:aws:s3:::payroll/x"),
                decide("aws:s3:GetObject", "arn:aws:s3:::payroll/x", null));
        assertEquals(deny(null, "grant project-billing#0 needs a resource (one of [arn:aws:s3:::ledger-internal/*])"),
                decide("aws:s3:GetObject", null, null));
    }

    @Test
    void gitPushOnlyToFeatureBranchesOfTheRepository() {
        assertEquals(allow("project-billing#1"), decide("git:push", "acme/billing-ledger", Map.of("branch", "feature/fx-rates")));
        assertEquals(deny(null, "branch main is not in [feature/*] of grant project-billing#1"),
                decide("git:push", "acme/billing-ledger", Map.of("branch", "main")));
        assertEquals(deny(null, "grant project-billing#1 allows only branches [feature/*] and the request names none"),
                decide("git:push", "acme/billing-ledger", Map.of()));
        assertEquals(deny(null, "no grant for git:push covers resource acme/payroll"),
                decide("git:push", "acme/payroll", Map.of("branch", "feature/x")));
        assertEquals(deny(null, "no policy grants git:force-push for project-billing"),
                decide("git:force-push", "acme/billing-ledger", Map.of("branch", "feature/x")));
    }

    @Test
    void toolCommandsWithADeniedSubstringAreRefused() {
        assertEquals(allow("project-billing#2"), decide("tools:Bash", null, Map.of("command", "ls -la ledger/")));
        assertEquals(allow("project-billing#2"), decide("tools:Read", "ledger/q1.csv", Map.of()));
        assertEquals(deny("project-billing#2", "command contains \"rm -rf\", denied by grant project-billing#2"),
                decide("tools:Bash", null, Map.of("command", "cd /tmp && rm -rf ledger")));
        assertEquals(deny("project-billing#2", "command contains \"git push --force\", denied by grant project-billing#2"),
                decide("tools:Bash", null, Map.of("command", "git push --force origin main")));
        assertEquals(deny(null, "no policy grants tools:Write for project-billing"), decide("tools:Write", null, Map.of()));
    }

    @Test
    void aDenySubstringWinsOverAnotherGrantThatWouldAllow() {
        List<Grant> grants = List.of(
                new Grant("careful", "tools", List.of("Bash"), null, null, List.of("rm -rf")),
                new Grant("lax", "tools", List.of("*"), null, null, null));
        assertEquals(deny("careful", "command contains \"rm -rf\", denied by grant careful"),
                AccessPolicy.authorize(policy(grants), new AccessRequest("tools:Bash", null, Map.of("command", "rm -rf /"))));
        assertEquals(allow("lax"),
                AccessPolicy.authorize(policy(grants), new AccessRequest("tools:Edit", null, Map.of("command", "rm -rf /"))));
    }

    @Test
    void actionsMustNameTheirService() {
        assertEquals(deny(null, "action \"push\" names no service action (write <service>:<action>, e.g. git:push)"),
                decide("push", "acme/billing-ledger", Map.of("branch", "feature/x")));
        List<Grant> stripe = List.of(new Grant("s", "stripe", List.of("*"), null, null, null));
        assertEquals(allow("s"), AccessPolicy.authorize(policy(stripe), new AccessRequest("stripe:refunds:write", "stripe.com/v1/refunds", null)));
    }
}
