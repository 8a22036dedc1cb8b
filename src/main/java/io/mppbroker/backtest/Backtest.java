package io.mppbroker.backtest;

import io.mppbroker.ledger.Money;
import io.mppbroker.policy.PaymentPolicy;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.Tier;
import io.mppbroker.policy.Verdict;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Replays recorded decisions against a candidate policy and compares tiers. Pure: the history is read by
 * {@link BacktestHistory}. Each decision is evaluated with the facts the broker had then (including the
 * approvers' revisions active at that moment), so a difference is the candidate's doing.
 */
public final class Backtest {

    private Backtest() {}

    public static BacktestReport run(ProjectPolicy candidate, List<RecordedDecision> history,
                                     List<BacktestReport.Skipped> skipped, Instant since, Instant until) {
        List<Outcome> outcomes = new ArrayList<>();
        List<BacktestReport.Skipped> skips = new ArrayList<>(skipped);
        for (RecordedDecision r : history) {
            if (!r.currency().equalsIgnoreCase(candidate.currency())) {
                skips.add(new BacktestReport.Skipped(r.paymentId(), "amount in " + r.currency()
                        + ", not the candidate's currency " + candidate.currency()));
                continue;
            }
            outcomes.add(new Outcome(r, PaymentPolicy.evaluate(candidate, r.facts(), r.overlays())));
        }
        String currency = candidate.currency();
        List<BacktestReport.Change> changes = outcomes.stream().filter(o -> o.changed())
                .map(o -> change(o, currency)).toList();
        return new BacktestReport(candidate.project(), String.valueOf(candidate.source()), candidate.versionHash(),
                currency, since.toString(), until.toString(), outcomes.size(),
                bucket(outcomes, o -> !o.changed(), currency),
                bucket(outcomes, o -> o.now() == Tier.AUTO && o.was() != Tier.AUTO, currency),
                bucket(outcomes, o -> o.was() == Tier.AUTO && o.now() != Tier.AUTO, currency),
                bucket(outcomes, o -> o.now().needsHuman() && !o.was().needsHuman(), currency),
                bucket(outcomes, o -> o.was().needsHuman() && !o.now().needsHuman(), currency),
                bucket(outcomes, o -> o.now() == Tier.DENY && o.was() != Tier.DENY, currency),
                bucket(outcomes, o -> o.was() == Tier.DENY && o.now() != Tier.DENY, currency),
                bucket(outcomes, o -> o.was().needsHuman() && o.now().needsHuman() && o.was() != o.now(), currency),
                changes, skips);
    }

    private record Outcome(RecordedDecision recorded, Verdict candidate) {
        Tier was() {
            return recorded.tier();
        }

        Tier now() {
            return candidate.tier();
        }

        boolean changed() {
            return was() != now();
        }
    }

    private static BacktestReport.Bucket bucket(List<Outcome> outcomes, Predicate<Outcome> in, String currency) {
        BigDecimal sum = BigDecimal.ZERO;
        int count = 0;
        for (Outcome o : outcomes) {
            if (in.test(o)) {
                count++;
                sum = sum.add(o.recorded().amount());
            }
        }
        return new BacktestReport.Bucket(count, Money.format(sum, currency));
    }

    private static BacktestReport.Change change(Outcome o, String currency) {
        RecordedDecision r = o.recorded();
        return new BacktestReport.Change(r.paymentId(), r.decisionId(), r.decidedAt().toString(), r.task(), r.sellerHost(),
                Money.format(r.amount(), currency),
                new BacktestReport.Verdict(lower(r.tier()), r.rule(), null, r.basis()),
                new BacktestReport.Verdict(lower(o.candidate().tier()), o.candidate().rule(), o.candidate().reason(), null));
    }

    private static String lower(Tier t) {
        return t.name().toLowerCase(Locale.ROOT);
    }
}
