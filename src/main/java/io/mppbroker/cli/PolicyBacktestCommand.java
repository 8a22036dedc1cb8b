package io.mppbroker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mppbroker.backtest.Backtest;
import io.mppbroker.backtest.BacktestHistory;
import io.mppbroker.backtest.BacktestReport;
import io.mppbroker.policy.PolicyLoader;
import io.mppbroker.policy.PolicyValidationException;
import io.mppbroker.policy.ProjectPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "backtest", mixinStandardHelpOptions = true,
        description = {"Replays a project's recorded payment requests against a candidate policy and reports what"
                + " would change: amounts newly auto-approved, asks (any human tier) added or removed, denials added or"
                + " removed. Reads the broker's PostgreSQL directly; the broker need not run. Spent-so-far is taken from"
                + " the recorded ledger at each decision's time (see docs/policy.md).",
                "Exit code: 0 report printed, 1 the candidate is invalid, 2 usage or database error."})
final class PolicyBacktestCommand implements Callable<Integer> {

    static final String URL_ENV = "QUARKUS_DATASOURCE_JDBC_URL";
    static final String USER_ENV = "QUARKUS_DATASOURCE_USERNAME";
    static final String PASSWORD_ENV = "QUARKUS_DATASOURCE_PASSWORD";
    private static final Pattern SHORT = Pattern.compile("([0-9]{1,9})([dhm])");
    /** Changes listed in the text report; --format json lists all. */
    private static final int LISTED_CHANGES = 50;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<candidate.yaml>",
            description = "The candidate policy; its `project` says whose payments are replayed. Any file name.")
    Path candidate;

    @Option(names = "--since", paramLabel = "<when>", defaultValue = "30d",
            description = "Start of the window: a duration back from --until (30d, 12h, 90m, P30D), a UTC date"
                    + " (2026-01-01) or an instant (2026-01-01T00:00:00Z). Default: ${DEFAULT-VALUE}.")
    String since;

    @Option(names = "--until", paramLabel = "<when>",
            description = "End of the window (exclusive): a UTC date or an instant. Default: now.")
    String until;

    @Option(names = "--jdbc-url", paramLabel = "<url>",
            description = "The broker's PostgreSQL, jdbc:postgresql://host:port/db. Default: $" + URL_ENV + ".")
    String jdbcUrl;

    @Option(names = "--username", paramLabel = "<user>", description = "Database user. Default: $" + USER_ENV + ".")
    String username;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "text (default) or json (every change listed).")
    String format;

    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!format.equals("text") && !format.equals("json")) {
            err.println("--format must be text or json, not " + format);
            return BrokerCli.USAGE;
        }
        if (!Files.isRegularFile(candidate)) {
            err.println("no such file: " + candidate);
            return BrokerCli.USAGE;
        }
        Instant to;
        Instant from;
        try {
            to = until == null ? clock.instant() : instant(until, null);
            from = instant(since, to);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return BrokerCli.USAGE;
        }
        if (!from.isBefore(to)) {
            err.println("--since " + since + " (" + from + ") is not before --until (" + to + ")");
            return BrokerCli.USAGE;
        }
        ProjectPolicy policy;
        try {
            policy = PolicyLoader.loadCandidate(candidate);
        } catch (PolicyValidationException e) {
            e.errors().forEach(out::println);
            out.println("the candidate is invalid; nothing was replayed");
            return BrokerCli.BROKEN;
        }
        String url = jdbcUrl != null ? jdbcUrl : System.getenv(URL_ENV);
        if (url == null || url.isBlank()) {
            err.println("no database: give --jdbc-url jdbc:postgresql://host:port/db or set " + URL_ENV
                    + " (a broker on its embedded PostgreSQL logs the port it uses at start)");
            return BrokerCli.USAGE;
        }
        BacktestReport report;
        try (Connection db = connect(url)) {
            db.setReadOnly(true);
            BacktestHistory.Loaded history = BacktestHistory.read(db, policy, from, to);
            report = Backtest.run(policy, history.decisions(), history.skipped(), from, to);
        } catch (SQLException e) {
            err.println("cannot read the recorded payments: " + e.getMessage());
            return BrokerCli.USAGE;
        }
        out.println(format.equals("json") ? json(report) : text(report));
        return BrokerCli.OK;
    }

    private Connection connect(String url) throws SQLException {
        Properties props = new Properties();
        String user = username != null ? username : System.getenv(USER_ENV);
        if (user != null) props.setProperty("user", user);
        // The password is read from the environment only, never from a flag (shell history, ps).
        String password = System.getenv(PASSWORD_ENV);
        if (password != null) props.setProperty("password", password);
        // The driver directly, not DriverManager: the broker's jar runs under Quarkus's class loader.
        Connection c = new org.postgresql.Driver().connect(url, props);
        if (c == null) throw new SQLException("not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)");
        return c;
    }

    /** A duration back from {@code end} (when given), a UTC date, or an instant. */
    static Instant instant(String text, Instant end) {
        if (end != null) {
            Matcher m = SHORT.matcher(text);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return end.minus(switch (m.group(2)) {
                    case "d" -> Duration.ofDays(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofMinutes(n);
                });
            }
            if (text.startsWith("P")) {
                try {
                    return end.minus(Duration.parse(text));
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("\"" + text + "\" is not an ISO-8601 duration");
                }
            }
        }
        try {
            if (text.length() == 10) return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not " + (end != null ? "a duration (30d, 12h, 90m, P30D), " : "")
                    + "a date (2026-01-01) or an instant (2026-01-01T00:00:00Z)");
        }
    }

    static String text(BacktestReport r) {
        StringBuilder s = new StringBuilder();
        s.append("Backtest of ").append(r.candidate()).append(" (project ").append(r.project()).append(", version ")
                .append(r.candidateVersion(), 0, 12).append(")\n");
        s.append(r.decisions()).append(" recorded decisions from ").append(r.since()).append(" to ").append(r.until())
                .append(", ").append(r.changed()).append(" would change; amounts in ").append(r.currency()).append(":\n");
        row(s, "unchanged", r.unchanged());
        row(s, "newly auto-approved", r.newlyAutoApproved());
        row(s, "no longer automatic", r.noLongerAutomatic());
        row(s, "asks added", r.asksAdded());
        row(s, "asks removed", r.asksRemoved());
        row(s, "denials added", r.denialsAdded());
        row(s, "denials removed", r.denialsRemoved());
        row(s, "human tier changed", r.humanTierChanged());
        if (!r.changes().isEmpty()) {
            s.append("Changes:\n");
            r.changes().stream().limit(LISTED_CHANGES).forEach(c -> s.append("  ").append(c.decidedAt()).append(' ')
                    .append(c.paymentId()).append(' ').append(c.amount()).append(' ').append(r.currency())
                    .append(" to ").append(c.seller()).append(" (task ").append(c.task()).append("): ")
                    .append(c.recorded().tier()).append(" (").append(c.recorded().rule()).append(") -> ")
                    .append(c.candidate().tier()).append(" (").append(c.candidate().rule()).append(")\n"));
            if (r.changes().size() > LISTED_CHANGES) {
                s.append("  ... and ").append(r.changes().size() - LISTED_CHANGES).append(" more (--format json lists all)\n");
            }
        }
        if (!r.skipped().isEmpty()) {
            s.append("Skipped ").append(r.skipped().size()).append(":\n");
            r.skipped().forEach(k -> s.append("  ").append(k.paymentId()).append(": ").append(k.reason()).append('\n'));
        }
        s.append("Spent-so-far is what the ledger held at each decision, not what the candidate would have let through.");
        return s.toString();
    }

    private static void row(StringBuilder s, String label, BacktestReport.Bucket b) {
        s.append(String.format("  %-20s %6d %14s%n", label, b.count(), b.amount()));
    }

    private static String json(BacktestReport report) throws IOException {
        return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
    }
}
