package io.mppbroker.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PaymentPolicyTest {
    static final Tiers TIERS = new Tiers(d("10.00"), d("250.00"), d("1000.00"));
    static final Budgets BUDGETS = new Budgets(Optional.of(d("100.00")), Optional.of(d("300.00")), Optional.of(d("2000.00")));
    static final SellerRules DENY_CASINOS = new SellerRules(SellerRules.Default.ALLOW, List.of(),
            List.of(SellerPattern.parse("*.casino.example"), SellerPattern.parse("realm:shady-realm"),
                    SellerPattern.parse("profile_Shady1")));
    static final RecurringRule RECURRING = new RecurringRule(3, Duration.ofDays(7), d("0.10"));

    static final ProjectPolicy RESEARCH = policy(BUDGETS, DENY_CASINOS);
    static final ProjectPolicy NO_BUDGETS = policy(Budgets.NONE, DENY_CASINOS);

    @Test
    void tierBoundaries() {
        assertTier(Tier.AUTO, "tiers.auto_below", "9.99");
        assertTier(Tier.ASK, "tiers.auto_below", "10.00");
        assertTier(Tier.ASK, "tiers.auto_below", "250.00");
        assertTier(Tier.EXPLICIT, "tiers.explicit_above", "250.01");
        assertTier(Tier.EXPLICIT, "tiers.explicit_above", "1000.00");
        assertTier(Tier.DENY, "tiers.ceiling", "1000.01");
        assertTier(Tier.AUTO, "tiers.auto_below", "0.01");
    }

    @Test
    void tierReasonsCarryTheNumbers() {
        assertEquals(new Verdict(Tier.AUTO, "tiers.auto_below", "amount 9.99 usd is below auto_below 10.00"),
                eval(NO_BUDGETS, facts("9.99")));
        assertEquals(new Verdict(Tier.ASK, "tiers.auto_below", "amount 10.00 usd is not below auto_below 10.00: one approver decides"),
                eval(NO_BUDGETS, facts("10")));
        assertEquals(new Verdict(Tier.EXPLICIT, "tiers.explicit_above",
                "amount 250.01 usd is above explicit_above 250.00: needs explicit approval"), eval(NO_BUDGETS, facts("250.01")));
        assertEquals(new Verdict(Tier.DENY, "tiers.ceiling", "amount 1200.00 usd is above the ceiling 1000.00"),
                eval(NO_BUDGETS, facts("1200")));
    }

    @Test
    void ceilingWinsOverBudgets() {
        Verdict v = eval(RESEARCH, facts("1000.01"));
        assertEquals(Tier.DENY, v.tier());
        assertEquals("tiers.ceiling", v.rule());
    }

    @Test
    void taskBudget() {
        Verdict v = eval(RESEARCH, facts("12.00").spentTask("800.00"));
        assertEquals(new Verdict(Tier.OVER_BUDGET, "budgets.per_task",
                "task t-42 would spend 812.00 of 100.00 usd (800.00 spent + 12.00 now)"), v);
        assertTrue(v.needsHuman());
        // Reaching the budget exactly is within it.
        assertEquals(Tier.ASK, eval(RESEARCH, facts("12.00").spentTask("88.00")).tier());
        assertEquals(Tier.OVER_BUDGET, eval(RESEARCH, facts("12.00").spentTask("88.01")).tier());
        // A single payment above the task budget is over budget too, even with nothing spent yet.
        assertEquals("budgets.per_task", eval(RESEARCH, facts("150.00")).rule());
        assertEquals("a payment without a task would spend 150.00 of 100.00 usd (0.00 spent + 150.00 now)",
                eval(RESEARCH, facts("150.00").task(null)).reason());
    }

    @Test
    void dayBudget() {
        assertEquals(new Verdict(Tier.OVER_BUDGET, "budgets.per_day",
                "project research would spend 301.00 of 300.00 usd today (295.00 spent + 6.00 now)"),
                eval(RESEARCH, facts("6").spentDay("295")));
        assertEquals(Tier.AUTO, eval(RESEARCH, facts("5").spentDay("295")).tier());
    }

    @Test
    void monthBudget() {
        assertEquals(new Verdict(Tier.OVER_BUDGET, "budgets.per_month",
                "project research would spend 2000.50 of 2000.00 usd this month (1995.00 spent + 5.50 now)"),
                eval(RESEARCH, facts("5.50").spentDay("10").spentMonth("1995")));
    }

    @Test
    void overBudgetComesBeforeExplicitAndRecurring() {
        ProjectPolicy bigTask = policy(new Budgets(Optional.of(d("500.00")), Optional.empty(), Optional.empty()), DENY_CASINOS);
        assertEquals(Tier.OVER_BUDGET, eval(bigTask, facts("300.00").spentTask("300.00")).tier());
        assertEquals(Tier.OVER_BUDGET, eval(bigTask, facts("5.00").spentTask("499.00").similar(5)).tier());
    }

    @Test
    void denyListByHostGlob() {
        assertEquals(new Verdict(Tier.DENY, "sellers.deny", "seller api.casino.example is denied by sellers.deny \"*.casino.example\""),
                eval(RESEARCH, facts("5").host("api.casino.example")));
        assertEquals(Tier.DENY, eval(RESEARCH, facts("5").host("a.b.casino.example")).tier());
        assertEquals(Tier.DENY, eval(RESEARCH, facts("5").host("API.Casino.Example:8443")).tier());
        // The glob needs at least one label before the domain: the domain itself is not matched.
        assertEquals(Tier.AUTO, eval(RESEARCH, facts("5").host("casino.example")).tier());
        assertEquals(Tier.AUTO, eval(RESEARCH, facts("5").host("notcasino.example")).tier());
    }

    @Test
    void denyListByRealmAndNetworkProfile() {
        assertEquals(new Verdict(Tier.DENY, "sellers.deny",
                "seller api.fine.example (realm \"shady-realm\") is denied by sellers.deny \"realm:shady-realm\""),
                eval(RESEARCH, facts("5").host("api.fine.example").realm("shady-realm")));
        assertEquals(new Verdict(Tier.DENY, "sellers.deny",
                "seller api.fine.example (network profile profile_Shady1) is denied by sellers.deny \"profile_Shady1\""),
                eval(RESEARCH, facts("5").host("api.fine.example").profile("profile_Shady1")));
    }

    @Test
    void sellerDenyWinsOverBudgets() {
        assertEquals("sellers.deny", eval(RESEARCH, facts("500").host("x.casino.example")).rule());
    }

    @Test
    void defaultDenyWithAllowList() {
        SellerRules onlyKnown = new SellerRules(SellerRules.Default.DENY,
                List.of(SellerPattern.parse("*.adnetwork.example"), SellerPattern.parse("images.stock.example"),
                        SellerPattern.parse("profile_Good1")),
                List.of(SellerPattern.parse("sandbox.adnetwork.example")));
        ProjectPolicy marketing = policy(Budgets.NONE, onlyKnown);
        assertEquals(Tier.AUTO, eval(marketing, facts("5").host("eu.adnetwork.example")).tier());
        assertEquals(Tier.AUTO, eval(marketing, facts("5").host("images.stock.example")).tier());
        assertEquals(Tier.AUTO, eval(marketing, facts("5").host("pay.other.example").profile("profile_Good1")).tier());
        assertEquals(new Verdict(Tier.DENY, "sellers.default",
                "seller videos.stock.example matches no sellers.allow entry and sellers.default is deny"),
                eval(marketing, facts("5").host("videos.stock.example")));
        assertEquals(new Verdict(Tier.DENY, "sellers.deny",
                "seller sandbox.adnetwork.example is denied by sellers.deny \"sandbox.adnetwork.example\""),
                eval(marketing, facts("5").host("sandbox.adnetwork.example")));
    }

    @Test
    void recurringPaymentsGoToAHuman() {
        // min_occurrences 3: two similar earlier payments make this the third.
        Verdict v = eval(RESEARCH, facts("5.00").similar(2));
        assertEquals(new Verdict(Tier.RECURRING, "recurring",
                "seller api.seller.example was already paid a similar amount (within ±10%) 2 times in the last 7d: "
                        + "this would be payment 3 (recurring.min_occurrences 3)"), v);
        assertTrue(v.needsHuman());
        assertEquals(Tier.AUTO, eval(RESEARCH, facts("5.00").similar(1)).tier());
        assertEquals(Tier.RECURRING, eval(RESEARCH, facts("50.00").similar(2)).tier());
        // Explicit approval is the stronger requirement.
        assertEquals(Tier.EXPLICIT, eval(NO_BUDGETS, facts("300.00").similar(4)).tier());
    }

    @Test
    void similarAmountDefinition() {
        assertTrue(RECURRING.isSimilar(d("100.00"), d("110.00")));
        assertTrue(RECURRING.isSimilar(d("100.00"), d("90.00")));
        assertFalse(RECURRING.isSimilar(d("100.00"), d("110.01")));
        assertFalse(RECURRING.isSimilar(d("100.00"), d("89.99")));
    }

    @Test
    void currencyMustMatch() {
        assertEquals(new Verdict(Tier.DENY, "currency", "payment currency eur does not match the project currency usd"),
                eval(RESEARCH, facts("5").currency("eur")));
        assertEquals(Tier.AUTO, eval(RESEARCH, facts("5").currency("USD")).tier());
    }

    @Test
    void onlyStripeCharges() {
        assertEquals(new Verdict(Tier.DENY, "intent",
                "intent \"subscription\" is not supported: the broker pays only one-off charges (intent charge)"),
                eval(RESEARCH, facts("5").intent("subscription")));
        assertEquals(new Verdict(Tier.DENY, "method",
                "payment method \"tempo\" is not supported: the broker pays only with stripe"),
                eval(RESEARCH, facts("5").method("tempo")));
    }

    @Test
    void nonsenseAmountsAreDenied() {
        assertEquals(new Verdict(Tier.DENY, "amount", "amount 0 usd is not positive"), eval(RESEARCH, facts("0")));
        assertEquals(new Verdict(Tier.DENY, "amount", "amount 1.005 usd has more decimals than usd allows (2)"),
                eval(RESEARCH, facts("1.005")));
    }

    @Test
    void moneyIsFormattedWithTheCurrencyDigits() {
        ProjectPolicy yen = new ProjectPolicy("yen", "jpy", List.of(new AgentEntry("a", "0".repeat(64))), "pm_card_visa",
                Budgets.NONE, new Tiers(d("1000"), d("10000"), d("100000")), DENY_CASINOS, RECURRING,
                List.of(new ApproverEntry("b", "1".repeat(64))), Path.of("yen.yaml"), "0".repeat(64));
        assertEquals("amount 100001 jpy is above the ceiling 100000", eval(yen, facts("100001").currency("jpy")).reason());
    }

    @Test
    void whichTiersNeedAHuman() {
        assertFalse(Tier.AUTO.needsHuman());
        assertFalse(Tier.DENY.needsHuman());
        assertTrue(Tier.ASK.needsHuman());
        assertTrue(Tier.EXPLICIT.needsHuman());
        assertTrue(Tier.RECURRING.needsHuman());
        assertTrue(Tier.OVER_BUDGET.needsHuman());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static void assertTier(Tier tier, String rule, String amount) {
        Verdict v = eval(NO_BUDGETS, facts(amount));
        assertEquals(tier, v.tier(), amount + ": " + v.reason());
        assertEquals(rule, v.rule(), amount);
    }

    private static Verdict eval(ProjectPolicy p, Facts f) {
        return PaymentPolicy.evaluate(p, f.build());
    }

    static ProjectPolicy policy(Budgets budgets, SellerRules sellers) {
        return new ProjectPolicy("research", "usd", List.of(new AgentEntry("research-agent-1", "0".repeat(64))),
                "pm_card_visa", budgets, TIERS, sellers, RECURRING,
                List.of(new ApproverEntry("fin-approver-1", "1".repeat(64))), Path.of("research.yaml"), "a".repeat(64));
    }

    static BigDecimal d(String s) {
        return new BigDecimal(s);
    }

    static Facts facts(String amount) {
        return new Facts(amount);
    }

    /** Defaults describe an ordinary stripe charge by api.seller.example with nothing spent yet. */
    static final class Facts {
        String method = "stripe", intent = "charge", amount, currency = "usd", host = "api.seller.example",
                realm = "api.seller.example", task = "t-42";
        Optional<String> profile = Optional.empty();
        BigDecimal spentTask = BigDecimal.ZERO, spentDay = BigDecimal.ZERO, spentMonth = BigDecimal.ZERO;
        int similar;

        Facts(String amount) { this.amount = amount; }
        Facts method(String v) { method = v; return this; }
        Facts intent(String v) { intent = v; return this; }
        Facts currency(String v) { currency = v; return this; }
        Facts host(String v) { host = v; realm = v; return this; } // sellers usually use their host as realm
        Facts realm(String v) { realm = v; return this; }
        Facts profile(String v) { profile = Optional.of(v); return this; }
        Facts task(String v) { task = v; return this; }
        Facts spentTask(String v) { spentTask = d(v); return this; }
        Facts spentDay(String v) { spentDay = d(v); return this; }
        Facts spentMonth(String v) { spentMonth = d(v); return this; }
        Facts similar(int v) { similar = v; return this; }

        PaymentFacts build() {
            return new PaymentFacts(method, intent, d(amount), currency, host, realm, profile, task,
                    spentTask, spentDay, spentMonth, similar);
        }
    }
}
