package io.mppbroker.reconciliation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.mppbroker.reconciliation.ReconciliationReport.Approver;
import io.mppbroker.reconciliation.ReconciliationReport.ChargeRow;
import io.mppbroker.reconciliation.ReconciliationReport.Discrepancy;
import io.mppbroker.reconciliation.ReconciliationReport.Total;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Writes a report as JSON, CSV (RFC 4180: CRLF, a header row, quotes where needed; cells that would start a
 * spreadsheet formula neutralized) or a self-contained HTML page.
 */
public final class ReportWriter {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final CsvMapper CSV = new CsvMapper();

    public static final List<String> CHARGE_COLUMNS = List.of("payment_id", "project", "agent", "task", "seller", "status",
            "amount", "currency", "receipt_reference", "spt", "spt_state", "decision_id", "basis", "tier", "rule",
            "approvers", "policy_version", "requested_at", "decided_at", "charged_at", "discrepancies", "observed_tier",
            "observed_rule");
    public static final List<String> TOTAL_COLUMNS = List.of("group", "key", "currency", "charges", "amount");
    public static final List<String> DISCREPANCY_COLUMNS = List.of("kind", "payment_id", "decision_id", "receipt_reference",
            "detail");

    private ReportWriter() {}

    public static String write(ReconciliationReport report, ReportFormat format, ReportFormat.Table table) {
        return switch (format) {
            case JSON -> json(report);
            case CSV -> csv(report, table);
            case HTML -> ReportPage.render(report);
        };
    }

    public static String json(ReconciliationReport report) {
        try {
            return JSON.writeValueAsString(report) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String csv(ReconciliationReport report, ReportFormat.Table table) {
        List<List<String>> rows = new ArrayList<>();
        switch (table) {
            case CHARGES -> {
                rows.add(CHARGE_COLUMNS);
                for (ChargeRow r : report.charges()) {
                    rows.add(cells(r.paymentId(), r.project(), r.agent(), r.task(), r.seller(), r.status(), r.amount(),
                            r.currency(), r.receiptReference(), r.spt(), r.sptState(), r.decisionId(), r.basis(), r.tier(),
                            r.rule(), approvers(r.approvers()), r.policyVersion(), r.requestedAt(), r.decidedAt(),
                            r.chargedAt(), String.join(";", r.discrepancies()), r.observedTier(), r.observedRule()));
                }
            }
            case TOTALS -> {
                rows.add(TOTAL_COLUMNS);
                addTotals(rows, "overall", report.totals().overall());
                addTotals(rows, "project", report.totals().byProject());
                addTotals(rows, "agent", report.totals().byAgent());
                addTotals(rows, "seller", report.totals().bySeller());
                addTotals(rows, "basis", report.totals().byBasis());
            }
            case DISCREPANCIES -> {
                rows.add(DISCREPANCY_COLUMNS);
                for (Discrepancy d : report.discrepancies()) {
                    rows.add(cells(d.kind(), d.paymentId(), d.decisionId(), d.receiptReference(), d.detail()));
                }
            }
        }
        CsvSchema schema = CsvSchema.emptySchema().withLineSeparator("\r\n").withoutHeader();
        try {
            return CSV.writer(schema).writeValueAsString(rows);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "approver (via, at)" joined by "; ". */
    static String approvers(List<Approver> approvers) {
        return approvers.stream()
                .map(a -> a.approver() + (a.via() == null && a.at() == null ? ""
                        : " (" + (a.via() == null ? "" : a.via() + ", ") + (a.at() == null ? "" : a.at()) + ")"))
                .collect(Collectors.joining("; "));
    }

    private static void addTotals(List<List<String>> rows, String group, List<Total> totals) {
        for (Total t : totals) {
            rows.add(cells(group, t.key(), t.currency(), Integer.toString(t.charges()), t.amount()));
        }
    }

    private static List<String> cells(String... values) {
        List<String> cells = new ArrayList<>(values.length);
        for (String v : values) {
            cells.add(v == null ? "" : inert(v));
        }
        return cells;
    }

    /**
     * Agents and sellers choose tasks, seller hosts, reasons: a cell a spreadsheet would run as a formula gets a
     * leading apostrophe (OWASP, CSV injection), which spreadsheets show as text and do not display.
     */
    static String inert(String cell) {
        return !cell.isEmpty() && "=+-@\t\r".indexOf(cell.charAt(0)) >= 0 ? "'" + cell : cell;
    }
}
