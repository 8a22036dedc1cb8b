package io.mppbroker.cli;

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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    DatabaseOptions database;

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
        try (BrokerDatabase db = database.open("mpp-broker reconcile")) {
            Connection connection = db.connection();
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
}
