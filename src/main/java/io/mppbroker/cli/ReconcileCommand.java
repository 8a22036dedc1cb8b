package io.mppbroker.cli;

import io.mppbroker.database.DatabaseSource;
import io.mppbroker.database.EmbeddedDatabase;
import io.mppbroker.reconciliation.ExternalCharges;
import io.mppbroker.reconciliation.Reconciliation;
import io.mppbroker.reconciliation.ReconciliationReport;
import io.mppbroker.reconciliation.ReportFormat;
import io.mppbroker.reconciliation.ReportWindow;
import io.mppbroker.reconciliation.ReportWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.eclipse.microprofile.config.Config;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The reconciliation report from the command line. It reads the database with plain JDBC and does not start
 * Quarkus: no HTTP port, no scheduler, no migrations, nothing that could pay or settle, so it can run beside a
 * live broker (or on a replica) with read-only credentials and in cron.
 */
@Command(name = "reconcile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints the reconciliation report: one row per charge, totals per project, agent, seller and basis,"
                + " and the discrepancies (charge without a decision, decision paid twice, amounts that differ, token"
                + " without receipt, receipt without token; with --external-csv also charges the broker never authorized"
                + " and broker charges missing from the export).",
                "Database: --jdbc-url, else the broker's own configuration (QUARKUS_DATASOURCE_JDBC_URL, _USERNAME,"
                        + " _PASSWORD, .env, application.properties), else the embedded PostgreSQL under --data-dir"
                        + " (the running broker's server if it is up).",
                "Exit code: 0 no discrepancies, 1 discrepancies found, 2 usage error or database unreachable."})
final class ReconcileCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--project", paramLabel = "<project>", description = "Project to cover; repeat for several. Default: every project with payments.")
    List<String> projects = new ArrayList<>();

    @Option(names = "--from", paramLabel = "<date|time>", description = "Start: a date (whole UTC day) or an RFC 3339 time. Default: the beginning.")
    String from;

    @Option(names = "--to", paramLabel = "<date|time>", description = "End: a date (included) or an RFC 3339 time (excluded). Default: now.")
    String to;

    @Option(names = "--format", paramLabel = "<csv|json|html>", description = "Output format (default: csv).")
    String format = "csv";

    @Option(names = "--table", paramLabel = "<charges|totals|discrepancies>", description = "Which table a CSV holds (default: charges).")
    String table;

    @Option(names = "--external-csv", paramLabel = "<file>", description = "A charge export from Stripe or a card issuer to join (see docs/reconciliation.md).")
    Path externalCsv;

    @Option(names = {"-o", "--output"}, paramLabel = "<file>", description = "Write the report here instead of standard output.")
    Path output;

    @Option(names = "--jdbc-url", paramLabel = "<url>", description = "PostgreSQL JDBC URL, e.g. jdbc:postgresql://db:5432/mpp_broker.")
    String jdbcUrl;

    @Option(names = "--user", paramLabel = "<name>", description = "Database user (default: QUARKUS_DATASOURCE_USERNAME).")
    String user;

    @Option(names = "--password-env", paramLabel = "<variable>", description = "Environment variable holding the database password"
            + " (default: QUARKUS_DATASOURCE_PASSWORD). Never given on the command line, where other users could read it.")
    String passwordEnv;

    @Option(names = "--data-dir", paramLabel = "<dir>", description = "The broker's data directory, for the embedded database (default: broker.data-dir, data).")
    Path dataDir;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        ReportFormat chosen;
        ReportFormat.Table which;
        ReportWindow window;
        List<ExternalCharges.ExternalCharge> external = null;
        try {
            chosen = ReportFormat.parse(format);
            which = ReportFormat.Table.parse(table);
            window = ReportWindow.parse(from, to);
            if (externalCsv != null) {
                external = ExternalCharges.parse(Files.readString(externalCsv, StandardCharsets.UTF_8));
            }
        } catch (IllegalArgumentException | IOException e) {
            err.println(externalCsv != null && e instanceof ExternalCharges.InvalidExport ? externalCsv + ": " + e.getMessage()
                    : e.getMessage());
            return BrokerCli.USAGE;
        }
        ReconciliationReport report;
        try (Database database = Database.open(this)) {
            Connection connection = database.connection();
            List<String> covered = projects.isEmpty() ? Reconciliation.projects(connection) : projects;
            if (covered.isEmpty()) {
                err.println("the database has no payments yet");
                return BrokerCli.USAGE;
            }
            report = Reconciliation.build(connection, new Reconciliation.Scope(covered, window.from(), window.to()),
                    external, Instant.now());
        } catch (SQLException | IOException e) {
            err.println("cannot read the broker's database: " + e.getMessage());
            return BrokerCli.USAGE;
        }
        String text = ReportWriter.write(report, chosen, which);
        if (output != null) {
            Files.writeString(output, text, StandardCharsets.UTF_8);
        } else {
            PrintWriter out = spec.commandLine().getOut();
            out.print(text);
            out.flush();
        }
        if (!report.discrepancies().isEmpty()) {
            err.println(report.discrepancies().size() + " discrepancies found");
            return BrokerCli.BROKEN;
        }
        return BrokerCli.OK;
    }

    /** A connection to the broker's database, and the embedded server started for it, if one was. */
    private record Database(Connection connection, EmbeddedDatabase started) implements AutoCloseable {

        static Database open(ReconcileCommand c) throws SQLException, IOException {
            Config config = DatabaseSource.environmentConfig();
            String user = c.user != null ? c.user
                    : config.getOptionalValue("quarkus.datasource.username", String.class).orElse(EmbeddedDatabase.USER);
            String passwordVariable = c.passwordEnv != null ? c.passwordEnv : "QUARKUS_DATASOURCE_PASSWORD";
            Optional<String> password = Optional.ofNullable(System.getenv(passwordVariable))
                    .or(() -> c.passwordEnv == null ? config.getOptionalValue("quarkus.datasource.password", String.class)
                            : Optional.empty());
            if (c.jdbcUrl != null) {
                return new Database(connect(c.jdbcUrl, user, password), null);
            }
            DatabaseSource source = DatabaseSource.from(config);
            if (source instanceof DatabaseSource.External external) {
                return new Database(connect(external.jdbcUrl(), user, password), null);
            }
            Path cluster = c.dataDir != null ? c.dataDir.resolve("postgres").toAbsolutePath().normalize()
                    : ((DatabaseSource.Embedded) source).directory();
            if (!Files.exists(cluster.resolve("PG_VERSION"))) {
                throw new IOException("no database configured (--jdbc-url or QUARKUS_DATASOURCE_JDBC_URL) and no embedded"
                        + " database at " + cluster);
            }
            Optional<Integer> running = runningPort(cluster);
            if (running.isPresent()) {
                // The broker is up and owns the server: read through it.
                return new Database(connect("jdbc:postgresql://localhost:" + running.get() + "/" + EmbeddedDatabase.DATABASE_NAME,
                        EmbeddedDatabase.USER, Optional.empty()), null);
            }
            EmbeddedDatabase started = EmbeddedDatabase.start(cluster, 0);
            try {
                return new Database(connect(started.jdbcUrl(), EmbeddedDatabase.USER, Optional.empty()), started);
            } catch (SQLException e) {
                started.close();
                throw e;
            }
        }

        /** Line 4 of postmaster.pid is the port of a live server. */
        private static Optional<Integer> runningPort(Path cluster) throws IOException {
            Path pid = cluster.resolve("postmaster.pid");
            if (!Files.exists(pid)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(pid);
            if (lines.size() < 4) {
                return Optional.empty();
            }
            try {
                long process = Long.parseLong(lines.get(0).trim());
                if (ProcessHandle.of(process).map(ProcessHandle::isAlive).orElse(false)) {
                    return Optional.of(Integer.parseInt(lines.get(3).trim()));
                }
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            return Optional.empty();
        }

        /** The driver is used directly: DriverManager's service lookup does not see Quarkus's class loader. */
        private static Connection connect(String url, String user, Optional<String> password) throws SQLException {
            Properties properties = new Properties();
            properties.setProperty("user", user);
            password.ifPresent(p -> properties.setProperty("password", p));
            properties.setProperty("ApplicationName", "mpp-broker reconcile");
            properties.setProperty("readOnly", "true");
            Connection connection = new org.postgresql.Driver().connect(url, properties);
            if (connection == null) {
                throw new SQLException("not a PostgreSQL JDBC URL: " + url.replaceAll("(?i)password=[^&;]*", "password=***"));
            }
            return connection;
        }

        @Override
        public void close() throws SQLException {
            try {
                connection.close();
            } finally {
                if (started != null) {
                    started.close();
                }
            }
        }
    }
}
