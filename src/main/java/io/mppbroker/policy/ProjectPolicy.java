package io.mppbroker.policy;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Currency;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One project's budget policy, as loaded from {@code <project>.yaml}. Amounts are in major units of
 * {@link #currency()} (lowercase ISO 4217, as in MPP requests). {@code versionHash} is the hex SHA-256 of
 * the file bytes, so a decision can name the exact policy version it was made under (with overlays, see
 * {@link PolicyVersion#of}). {@code routing} is never null: without a {@code routing} section it is
 * {@link Routing#builtIn} over every approver of the file. {@code grants} (never null, may be empty) are the
 * access grants checked by {@code io.mppbroker.access.AccessPolicy}. {@code mode} is never null:
 * {@link PolicyMode#ENFORCE} unless the file says {@code mode: observe}.
 */
public record ProjectPolicy(
        String project,
        String currency,
        List<AgentEntry> agents,
        String stripePaymentMethod,
        Budgets budgets,
        Tiers tiers,
        SellerRules sellers,
        RecurringRule recurring,
        List<ApproverEntry> approvers,
        Routing routing,
        Path source,
        String versionHash,
        List<Grant> grants,
        PolicyMode mode) {

    public ProjectPolicy {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(currency, "currency");
        agents = List.copyOf(agents);
        Objects.requireNonNull(budgets, "budgets");
        Objects.requireNonNull(tiers, "tiers");
        Objects.requireNonNull(sellers, "sellers");
        Objects.requireNonNull(recurring, "recurring");
        approvers = List.copyOf(approvers);
        if (routing == null) routing = Routing.builtIn(approvers.stream().map(ApproverEntry::id).toList());
        grants = grants == null ? List.of() : List.copyOf(grants);
        if (mode == null) mode = PolicyMode.ENFORCE;
    }

    /** A policy with access grants, in enforce mode. */
    public ProjectPolicy(String project, String currency, List<AgentEntry> agents, String stripePaymentMethod,
                         Budgets budgets, Tiers tiers, SellerRules sellers, RecurringRule recurring,
                         List<ApproverEntry> approvers, Routing routing, Path source, String versionHash,
                         List<Grant> grants) {
        this(project, currency, agents, stripePaymentMethod, budgets, tiers, sellers, recurring, approvers, routing,
                source, versionHash, grants, PolicyMode.ENFORCE);
    }

    /** A policy without access grants, in the given mode. */
    public ProjectPolicy(String project, String currency, List<AgentEntry> agents, String stripePaymentMethod,
                         Budgets budgets, Tiers tiers, SellerRules sellers, RecurringRule recurring,
                         List<ApproverEntry> approvers, Routing routing, Path source, String versionHash,
                         PolicyMode mode) {
        this(project, currency, agents, stripePaymentMethod, budgets, tiers, sellers, recurring, approvers, routing,
                source, versionHash, List.of(), mode);
    }

    /** A policy without access grants (deny by default), in enforce mode. */
    public ProjectPolicy(String project, String currency, List<AgentEntry> agents, String stripePaymentMethod,
                         Budgets budgets, Tiers tiers, SellerRules sellers, RecurringRule recurring,
                         List<ApproverEntry> approvers, Routing routing, Path source, String versionHash) {
        this(project, currency, agents, stripePaymentMethod, budgets, tiers, sellers, recurring, approvers, routing,
                source, versionHash, List.of(), PolicyMode.ENFORCE);
    }

    /** A policy without a {@code routing} section (built-in routing). */
    public ProjectPolicy(String project, String currency, List<AgentEntry> agents, String stripePaymentMethod,
                         Budgets budgets, Tiers tiers, SellerRules sellers, RecurringRule recurring,
                         List<ApproverEntry> approvers, Path source, String versionHash) {
        this(project, currency, agents, stripePaymentMethod, budgets, tiers, sellers, recurring, approvers, null,
                source, versionHash, PolicyMode.ENFORCE);
    }

    public boolean observes() {
        return mode == PolicyMode.OBSERVE;
    }

    /** Number of minor-unit digits of the currency (2 for usd, 0 for jpy). */
    public int currencyDigits() {
        return Currency.getInstance(currency.toUpperCase(Locale.ROOT)).getDefaultFractionDigits();
    }

    /** Formats an amount with exactly the currency's minor digits ("12" -> "12.00" for usd). */
    public String formatAmount(BigDecimal amount) {
        try {
            return amount.setScale(currencyDigits(), RoundingMode.UNNECESSARY).toPlainString();
        } catch (ArithmeticException moreDigitsThanTheCurrencyHas) {
            return amount.toPlainString();
        }
    }

    public Optional<AgentEntry> agent(String agentId) {
        return agents.stream().filter(a -> a.id().equals(agentId)).findFirst();
    }

    public Optional<ApproverEntry> approver(String approverId) {
        return approvers.stream().filter(a -> a.id().equals(approverId)).findFirst();
    }

    /** The approver owning the agent ({@code agents[].owner}); empty for an unknown agent or one without owner. */
    public Optional<String> agentOwner(String agentId) {
        return agent(agentId).flatMap(AgentEntry::owner);
    }

    /**
     * Approvers whose answer counts for a payment of {@code agentId} in {@code tier} once route
     * {@code routeIndex} was reached: {@link TierRouting#approversUpTo} without the agent's owner when
     * {@code routing.owner_cannot_approve} is true.
     */
    public Set<String> eligibleApprovers(String agentId, Tier tier, int routeIndex) {
        Set<String> ids = new LinkedHashSet<>(routing.forTier(tier).approversUpTo(routeIndex));
        if (routing.ownerCannotApprove()) agentOwner(agentId).ifPresent(ids::remove);
        return Collections.unmodifiableSet(ids);
    }
}
