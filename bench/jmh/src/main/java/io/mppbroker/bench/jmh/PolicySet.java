package io.mppbroker.bench.jmh;

import io.mppbroker.policy.BudgetsConfig;
import io.mppbroker.policy.PaymentFacts;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ReloadReport;
import io.mppbroker.policy.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A realistic policy set written as real policy files and loaded by the broker's own {@link PolicyRegistry}:
 * {@value #PROJECTS} projects with {@value #AGENTS_PER_PROJECT} agents each (300 agent tokens) and 4 approvers
 * each (one shared by every project), budgets, recurring rules and routing. Even projects allow every seller
 * but a deny list of 6 patterns; odd projects allow only 10 patterns (hosts, wildcards, a network profile)
 * and deny 2. Also a fixed, seeded list of payments that agents of these projects make: mostly auto-tier
 * amounts to allowed sellers, some asks, some over budget, some denied sellers.
 */
final class PolicySet {

    static final int PROJECTS = 50;
    static final int AGENTS_PER_PROJECT = 6;
    static final int SAMPLES = 4096;

    /** One payment: the bearer token the agent presents and the facts the broker knows when it decides. */
    record Request(String token, String project, PaymentFacts facts) {}

    final PolicyRegistry registry;
    final List<Request> requests;

    private PolicySet(PolicyRegistry registry, List<Request> requests) {
        this.registry = registry;
        this.requests = requests;
    }

    static PolicySet create() {
        try {
            Path dir = Files.createTempDirectory("bench-budgets");
            dir.toFile().deleteOnExit();
            for (int p = 0; p < PROJECTS; p++) {
                Path file = dir.resolve(project(p) + ".yaml");
                Files.writeString(file, yaml(p));
                file.toFile().deleteOnExit();
            }
            PolicyRegistry registry = new PolicyRegistry(new BudgetsConfig() {
                @Override
                public Path dir() {
                    return dir;
                }

                @Override
                public Duration reloadInterval() {
                    return Duration.ofSeconds(2);
                }
            });
            ReloadReport report = registry.reloadNow();
            if (report.loaded().size() != PROJECTS || !report.rejected().isEmpty()) {
                throw new IllegalStateException("policy set did not load: " + report);
            }
            return new PolicySet(registry, requests());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String project(int p) {
        return "project-" + p;
    }

    static String agentToken(int p, int a) {
        return "bench-agent-token-" + p + "-" + a;
    }

    private static String yaml(int p) {
        StringBuilder agents = new StringBuilder();
        for (int a = 0; a < AGENTS_PER_PROJECT; a++) {
            agents.append("  - id: agent-").append(a).append('\n')
                    .append("    token_sha256: \"").append(Sha256.hex(agentToken(p, a))).append("\"\n")
                    .append("    owner: lead-").append(p).append('\n');
        }
        String sellers = p % 2 == 0 ? """
                sellers:
                  default: allow
                  deny:
                    - "*.casino.example"
                    - "realm:casino.example"
                    - "*.gambling.example"
                    - "spam.example"
                    - "profile_1BadSellerXyz"
                    - "*.untrusted.example"
                """ : """
                sellers:
                  default: deny
                  allow:
                    - "*.adnetwork.example"
                    - "images.stock.example"
                    - "api.data.example"
                    - "*.search.example"
                    - "reports.example"
                    - "*.maps.example"
                    - "api.weather.example"
                    - "*.llm.example"
                    - "news.example"
                    - "profile_1MqDcVKA5fEO2tZvKQm9g8Yj"
                  deny:
                    - "sandbox.adnetwork.example"
                    - "*.casino.example"
                """;
        return """
                project: %s
                currency: usd
                agents:
                %s
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_task: "100.00"
                  per_day: "500.00"
                  per_month: "5000.00"
                tiers:
                  auto_below: "10.00"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                %s
                recurring:
                  min_occurrences: 3
                  window: 7d
                  amount_tolerance: "0.10"
                approvers:
                  - id: fin-approver
                    token_sha256: "%s"
                  - id: lead-%d
                    token_sha256: "%s"
                  - id: deputy-%d
                    token_sha256: "%s"
                  - id: cfo-%d
                    token_sha256: "%s"
                routing:
                  owner_cannot_approve: true
                  ask:
                    routes:
                      - approvers: [fin-approver, lead-%d, deputy-%d]
                        timeout: 30m
                      - approvers: [cfo-%d]
                        timeout: 2h
                  explicit:
                    required_approvals: 2
                    routes:
                      - approvers: [fin-approver, lead-%d, deputy-%d, cfo-%d]
                        timeout: 1h
                  default:
                    routes:
                      - approvers: [fin-approver]
                        timeout: 1h
                      - approvers: [cfo-%d]
                        timeout: 4h
                """.formatted(project(p), agents.toString().stripTrailing(), sellers.stripTrailing(),
                Sha256.hex("bench-fin-approver-token"),
                p, Sha256.hex("bench-lead-token-" + p), p, Sha256.hex("bench-deputy-token-" + p),
                p, Sha256.hex("bench-cfo-token-" + p), p, p, p, p, p, p, p);
    }

    private static final String[] ALLOWED_EVERYWHERE = {
            "images.stock.example", "api.data.example", "eu.search.example", "reports.example",
            "tiles.maps.example", "api.weather.example", "gpt.llm.example", "news.example", "cdn.adnetwork.example"};
    private static final String[] DENIED = {"slots.casino.example", "sandbox.adnetwork.example"};

    private static List<Request> requests() {
        SplittableRandom random = new SplittableRandom(42);
        List<Request> out = new ArrayList<>(SAMPLES);
        for (int i = 0; i < SAMPLES; i++) {
            int p = random.nextInt(PROJECTS);
            int a = random.nextInt(AGENTS_PER_PROJECT);
            int kind = random.nextInt(100);
            String host = kind < 95 ? ALLOWED_EVERYWHERE[random.nextInt(ALLOWED_EVERYWHERE.length)]
                    : DENIED[random.nextInt(DENIED.length)];
            // 85% auto-tier amounts (0.50 to 9.99), the rest up to 300.00 (ask / explicit).
            long cents = kind < 85 ? 50 + random.nextInt(950) : 1000 + random.nextInt(29000);
            BigDecimal amount = BigDecimal.valueOf(cents, 2);
            BigDecimal spentTask = BigDecimal.valueOf(random.nextInt(9000), 2);
            BigDecimal spentDay = BigDecimal.valueOf(random.nextInt(45000), 2);
            BigDecimal spentMonth = spentDay.add(BigDecimal.valueOf(random.nextInt(400000), 2));
            int similar = random.nextInt(100) < 90 ? 0 : 1 + random.nextInt(3);
            PaymentFacts facts = new PaymentFacts("stripe", "charge", amount, "usd", host, host,
                    Optional.of("profile_test_seller"), "task-" + random.nextInt(1000), spentTask, spentDay,
                    spentMonth, similar);
            out.add(new Request(agentToken(p, a), project(p), facts));
        }
        return List.copyOf(out);
    }
}
