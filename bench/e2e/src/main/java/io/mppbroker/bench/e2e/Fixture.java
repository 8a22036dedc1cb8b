package io.mppbroker.bench.e2e;

import io.mppbroker.testkit.BrokerProcess;
import io.mppbroker.testkit.FakeStripe;
import io.mppbroker.testkit.MppTestSeller;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one benchmark run stands on: the fake Stripe, the test kit's MPP seller, a fresh PostgreSQL database on
 * the machine's server (fsync as the server has it), a budgets directory and the packaged broker as its own
 * process. Closing it stops the broker and drops the database.
 */
final class Fixture implements AutoCloseable {

    static final String PG = System.getProperty("bench.pg.url", "jdbc:postgresql://127.0.0.1:5432/");
    static final String PG_USER = System.getProperty("bench.pg.user", "postgres");
    static final String PG_PASSWORD = System.getProperty("bench.pg.password", "postgres");
    static final int PROJECTS = 50;
    static final int AGENTS_PER_PROJECT = 6;

    final FakeStripe stripe;
    final MppTestSeller seller;
    final String database;
    final Path dir;
    BrokerProcess broker;

    private Fixture(FakeStripe stripe, MppTestSeller seller, String database, Path dir) {
        this.stripe = stripe;
        this.seller = seller;
        this.database = database;
        this.dir = dir;
    }

    static Fixture start(String name) throws Exception {
        FakeStripe stripe = FakeStripe.start();
        MppTestSeller seller = MppTestSeller.builder(stripe.baseUrl()).stripeSecretKey("sk_test_bench_seller").start();
        String database = "mpp_bench_" + name + "_" + Long.toString(System.currentTimeMillis(), 36);
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        Path dir = Files.createTempDirectory("mpp-bench-");
        Files.createDirectories(dir.resolve("budgets"));
        return new Fixture(stripe, seller, database, dir);
    }

    /** The realistic policy set: 50 projects with 6 agents each, as in bench/jmh, plus extra files. */
    void writePolicies(String autoBelow, String perDay, Map<String, String> extraFiles) throws IOException {
        for (int p = 0; p < PROJECTS; p++) {
            Files.writeString(dir.resolve("budgets").resolve(project(p) + ".yaml"), policy(project(p), agents(p),
                    autoBelow, perDay));
        }
        for (Map.Entry<String, String> e : extraFiles.entrySet()) {
            Files.writeString(dir.resolve("budgets").resolve(e.getKey() + ".yaml"), e.getValue());
        }
    }

    static String project(int p) {
        return "bench-" + p;
    }

    static String agentToken(String project, int a) {
        return "bench-agent-token-" + project + "-" + a;
    }

    /** Every agent token of the 50 projects, interleaved so that round robin spreads load over projects. */
    static List<String> allAgentTokens() {
        List<String> tokens = new ArrayList<>();
        for (int a = 0; a < AGENTS_PER_PROJECT; a++) {
            for (int p = 0; p < PROJECTS; p++) {
                tokens.add(agentToken(project(p), a));
            }
        }
        return tokens;
    }

    static String agents(int p) {
        return agents(project(p), AGENTS_PER_PROJECT);
    }

    static String agents(String project, int count) {
        StringBuilder s = new StringBuilder();
        for (int a = 0; a < count; a++) {
            s.append("  - id: agent-").append(a).append('\n')
                    .append("    token_sha256: \"").append(sha256(agentToken(project, a))).append("\"\n");
        }
        return s.toString().stripTrailing();
    }

    /**
     * A policy in which one seller paid many times at the same price stays auto (recurring flagging only
     * after a million similar payments), so the load is all auto-tier.
     */
    static String policy(String project, String agents, String autoBelow, String perDay) {
        return """
                project: %s
                currency: usd
                agents:
                %s
                payment:
                  stripe_payment_method: pm_card_visa
                budgets:
                  per_task: "100.00"
                  per_day: "%s"
                tiers:
                  auto_below: "%s"
                  explicit_above: "250.00"
                  ceiling: "1000.00"
                sellers:
                  default: allow
                  deny:
                    - "*.casino.example"
                    - "realm:casino.example"
                recurring:
                  min_occurrences: 1000000
                  window: 1d
                approvers:
                  - id: bench-approver
                    token_sha256: "%s"
                routing:
                  default:
                    routes:
                      - approvers: [bench-approver]
                        timeout: 1h
                """.formatted(project, agents, perDay, autoBelow, sha256(approverToken()));
    }

    static String approverToken() {
        return "bench-approver-token";
    }

    /** Starts the packaged broker; {@code javaOptions} go to JAVA_TOOL_OPTIONS (heap size, JFR). */
    BrokerProcess startBroker(String name, String javaOptions, Map<String, String> extraEnv) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_DATASOURCE_JDBC_URL", PG + database);
        env.put("QUARKUS_DATASOURCE_USERNAME", PG_USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", PG_PASSWORD);
        env.put("BROKER_BUDGETS_DIR", dir.resolve("budgets").toString());
        env.put("BROKER_STRIPE_API_BASE", stripe.baseUrl());
        env.put("BROKER_STRIPE_SECRET_KEY", "sk_test_bench_broker");
        env.put("BROKER_SELLERS_INSECURE_HOSTS", "127.0.0.1,localhost");
        env.put("BROKER_AUDIT_FILE", dir.resolve("audit.jsonl").toString());
        env.put("JAVA_TOOL_OPTIONS", javaOptions);
        env.putAll(extraEnv);
        broker = BrokerProcess.start(name, env);
        return broker;
    }

    /** The broker's process id (the only quarkus-run.jar child of this JVM). */
    long brokerPid() {
        return ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().orElse("").contains("quarkus-run.jar"))
                .findFirst().orElseThrow().pid();
    }

    Connection db() throws SQLException {
        return DriverManager.getConnection(PG + database, PG_USER, PG_PASSWORD);
    }

    static Connection admin() throws SQLException {
        return DriverManager.getConnection(PG + "postgres", PG_USER, PG_PASSWORD);
    }

    static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    /** Counters of this database in pg_stat_database. */
    Map<String, Long> dbStats() throws SQLException {
        try (Connection c = admin(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted,"
                     + " tup_updated, tup_deleted, blks_read, blks_hit FROM pg_stat_database WHERE datname = '"
                     + database + "'")) {
            Map<String, Long> m = new LinkedHashMap<>();
            if (r.next()) {
                for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                    m.put(r.getMetaData().getColumnName(i), r.getLong(i));
                }
            }
            return m;
        }
    }

    @Override
    public void close() throws Exception {
        if (broker != null) {
            broker.close();
        }
        seller.close();
        stripe.close();
        if (!Boolean.getBoolean("bench.keep-db")) {
            try (Connection c = admin(); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
