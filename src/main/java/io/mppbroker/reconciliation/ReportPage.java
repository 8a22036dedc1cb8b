package io.mppbroker.reconciliation;

import io.mppbroker.ledger.Money;
import io.mppbroker.reconciliation.ReconciliationReport.ChargeRow;
import io.mppbroker.reconciliation.ReconciliationReport.Discrepancy;
import io.mppbroker.reconciliation.ReconciliationReport.Total;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The report as one self-contained HTML page: inline CSS, an inline SVG chart of spend per UTC day stacked by
 * basis (one chart per currency), then totals, discrepancies and charges. No script, no external resource, so it
 * can be saved, mailed or archived as it is.
 */
final class ReportPage {

    /** Basis order in the stack and legend, with colours distinguishable in print and by most colour-blind readers. */
    private static final Map<String, String> BASIS_COLOURS = new LinkedHashMap<>();

    static {
        BASIS_COLOURS.put(Reconciliation.BASIS_AUTONOMOUS, "#4e79a7");
        BASIS_COLOURS.put(Reconciliation.BASIS_POLICY_RULE, "#f28e2b");
        BASIS_COLOURS.put(Reconciliation.BASIS_HUMAN, "#59a14f");
        BASIS_COLOURS.put(Reconciliation.BASIS_NONE, "#e15759");
    }

    private static final int WIDTH = 760;
    private static final int HEIGHT = 260;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 20;
    private static final int BOTTOM = 50;

    private ReportPage() {}

    static String render(ReconciliationReport r) {
        StringBuilder h = new StringBuilder(16_384);
        String title = "Reconciliation: " + String.join(", ", r.projects());
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(esc(title))
                .append("</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}")
                .append("table{border-collapse:collapse;margin:0 0 2rem 0;font-size:.85rem}")
                .append("th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}")
                .append("th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}")
                .append(".bad{color:#b00020;font-weight:600}.ok{color:#1b7f3b;font-weight:600}")
                .append("svg text{font-size:11px;fill:#444}")
                .append("\n</style>\n</head>\n<body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<p>Window: ")
                .append(esc(r.from() == null ? "beginning" : r.from())).append(" to ")
                .append(esc(r.to() == null ? "now" : r.to())).append(" (UTC). Generated ").append(esc(r.generatedAt()))
                .append(". ").append(r.charges().size()).append(" charges, ");
        if (r.discrepancies().isEmpty()) {
            h.append("<span class=\"ok\">no discrepancies</span>.</p>\n");
        } else {
            h.append("<span class=\"bad\">").append(r.discrepancies().size()).append(" discrepancies</span>.</p>\n");
        }
        if (r.external() != null) {
            var e = r.external();
            h.append("<p>External export: ").append(e.rows()).append(" charges, ").append(e.matched()).append(" matched, ")
                    .append(e.notAuthorized()).append(" not authorized by the broker, ").append(e.missingFromExport())
                    .append(" broker charges missing from it").append(e.outsideScope() > 0
                            ? ", " + e.outsideScope() + " belong to other projects" : "").append(".</p>\n");
        }
        h.append("<h2>Spend per day by basis</h2>\n");
        charts(h, r.charges());
        h.append("<h2>Totals</h2>\n");
        totals(h, "Overall", r.totals().overall());
        totals(h, "Per project", r.totals().byProject());
        totals(h, "Per agent", r.totals().byAgent());
        totals(h, "Per seller", r.totals().bySeller());
        totals(h, "Per basis", r.totals().byBasis());
        h.append("<h2>Discrepancies</h2>\n");
        if (r.discrepancies().isEmpty()) {
            h.append("<p class=\"ok\">None.</p>\n");
        } else {
            h.append("<table>\n<tr><th>kind</th><th>payment</th><th>decision</th><th>receipt</th><th>detail</th></tr>\n");
            for (Discrepancy d : r.discrepancies()) {
                h.append("<tr><td class=\"bad\">").append(esc(d.kind())).append("</td><td>").append(esc(d.paymentId()))
                        .append("</td><td>").append(esc(d.decisionId())).append("</td><td>").append(esc(d.receiptReference()))
                        .append("</td><td>").append(esc(d.detail())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("<h2>Charges</h2>\n<table>\n<tr><th>charged at</th><th>payment</th><th>agent</th><th>task</th><th>seller</th>")
                .append("<th>status</th><th>amount</th><th>receipt</th><th>token</th><th>basis</th><th>rule</th>")
                .append("<th>approvers</th><th>policy version</th><th>discrepancies</th></tr>\n");
        for (ChargeRow c : r.charges()) {
            h.append("<tr><td>").append(esc(c.chargedAt())).append("</td><td>").append(esc(c.paymentId()))
                    .append("</td><td>").append(esc(c.project() + "/" + c.agent())).append("</td><td>").append(esc(c.task()))
                    .append("</td><td>").append(esc(c.seller())).append("</td><td>").append(esc(c.status()))
                    .append("</td><td class=\"num\">").append(esc(c.amount() + " " + c.currency())).append("</td><td>")
                    .append(esc(c.receiptReference())).append("</td><td>").append(esc(c.spt()))
                    .append(c.sptState() == null ? "" : " (" + esc(c.sptState()) + ")").append("</td><td>")
                    .append(esc(c.basis())).append("</td><td>").append(esc(c.rule()))
                    .append(c.observedTier() == null ? "" : " (observe mode: would have been " + esc(c.observedTier())
                            + " by " + esc(c.observedRule()) + ")").append("</td><td>")
                    .append(esc(ReportWriter.approvers(c.approvers()))).append("</td><td>")
                    .append(esc(shortVersion(c.policyVersion()))).append("</td><td")
                    .append(c.discrepancies().isEmpty() ? ">" : " class=\"bad\">")
                    .append(esc(String.join(", ", c.discrepancies()))).append("</td></tr>\n");
        }
        h.append("</table>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void totals(StringBuilder h, String caption, List<Total> totals) {
        h.append("<table>\n<caption>").append(esc(caption)).append("</caption>\n")
                .append("<tr><th>key</th><th>currency</th><th>charges</th><th>amount</th></tr>\n");
        for (Total t : totals) {
            h.append("<tr><td>").append(esc(t.key())).append("</td><td>").append(esc(t.currency()))
                    .append("</td><td class=\"num\">").append(t.charges()).append("</td><td class=\"num\">")
                    .append(esc(t.amount())).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    /** One stacked bar chart per currency: x = UTC day from the first to the last charge, y = amount. */
    private static void charts(StringBuilder h, List<ChargeRow> charges) {
        Map<String, TreeMap<LocalDate, Map<String, BigDecimal>>> byCurrency = new TreeMap<>();
        for (ChargeRow c : charges) {
            if (c.amount() == null || c.chargedAt() == null) {
                continue;
            }
            LocalDate day = Instant.parse(c.chargedAt()).atZone(ZoneOffset.UTC).toLocalDate();
            byCurrency.computeIfAbsent(c.currency() == null ? "" : c.currency(), k -> new TreeMap<>())
                    .computeIfAbsent(day, k -> new LinkedHashMap<>())
                    .merge(c.basis(), new BigDecimal(c.amount()), BigDecimal::add);
        }
        if (byCurrency.isEmpty()) {
            h.append("<p>No charges in this window.</p>\n");
            return;
        }
        byCurrency.forEach((currency, days) -> chart(h, currency, days));
    }

    private static void chart(StringBuilder h, String currency, TreeMap<LocalDate, Map<String, BigDecimal>> days) {
        LocalDate first = days.firstKey();
        LocalDate last = days.lastKey();
        List<LocalDate> all = new ArrayList<>();
        for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
            all.add(d);
        }
        BigDecimal max = BigDecimal.ZERO;
        TreeSet<String> bases = new TreeSet<>();
        for (Map<String, BigDecimal> day : days.values()) {
            BigDecimal sum = day.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
            max = max.max(sum);
            bases.addAll(day.keySet());
        }
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        double slot = (double) plotW / all.size();
        double barW = Math.min(48, Math.max(1, slot * 0.8)); // a few days must not look like a wall
        h.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" role=\"img\" aria-label=\"").append(esc("Spend per day by basis, " + currency)).append("\">\n")
                .append("<title>").append(esc("Spend per day by basis (" + currency + ")")).append("</title>\n");
        // axes and the two y labels that matter: zero and the largest day
        h.append(line(LEFT, TOP, LEFT, TOP + plotH)).append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH));
        h.append(text(LEFT - 6, TOP + plotH + 4, "end", "0"));
        h.append(text(LEFT - 6, TOP + 4, "end", Money.format(max, currency) + " " + currency));
        for (int i = 0; i < all.size(); i++) {
            LocalDate day = all.get(i);
            double x = LEFT + i * slot + (slot - barW) / 2;
            Map<String, BigDecimal> amounts = days.getOrDefault(day, Map.of());
            double y = TOP + plotH;
            for (String basis : BASIS_COLOURS.keySet()) {
                BigDecimal amount = amounts.get(basis);
                if (amount == null || amount.signum() == 0 || max.signum() == 0) {
                    continue;
                }
                double height = amount.multiply(BigDecimal.valueOf(plotH)).divide(max, 3, RoundingMode.HALF_UP).doubleValue();
                y -= height;
                h.append("<rect x=\"").append(fmt(x)).append("\" y=\"").append(fmt(y)).append("\" width=\"").append(fmt(barW))
                        .append("\" height=\"").append(fmt(height)).append("\" fill=\"").append(BASIS_COLOURS.get(basis))
                        .append("\" data-basis=\"").append(esc(basis)).append("\"><title>")
                        .append(esc(day + " " + basis + ": " + Money.format(amount, currency) + " " + currency))
                        .append("</title></rect>\n");
            }
            if (all.size() <= 14 || i == 0 || i == all.size() - 1 || i % Math.max(1, all.size() / 7) == 0) {
                h.append(text(x + barW / 2, TOP + plotH + 16, "middle", day.toString()));
            }
        }
        int lx = LEFT;
        for (String basis : BASIS_COLOURS.keySet()) {
            if (!bases.contains(basis)) {
                continue;
            }
            h.append("<rect x=\"").append(lx).append("\" y=\"").append(HEIGHT - 18).append("\" width=\"12\" height=\"12\" fill=\"")
                    .append(BASIS_COLOURS.get(basis)).append("\"/>")
                    .append(text(lx + 16, HEIGHT - 8, "start", basis)).append('\n');
            lx += 130;
        }
        h.append("</svg>\n");
    }

    private static String line(int x1, int y1, int x2, int y2) {
        return "<line x1=\"" + x1 + "\" y1=\"" + y1 + "\" x2=\"" + x2 + "\" y2=\"" + y2 + "\" stroke=\"#888\"/>\n";
    }

    private static String text(double x, double y, String anchor, String content) {
        return "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" text-anchor=\"" + anchor + "\">" + esc(content) + "</text>";
    }

    private static String fmt(double v) {
        return BigDecimal.valueOf(v).setScale(1, RoundingMode.HALF_UP).toPlainString();
    }

    private static String shortVersion(String version) {
        return version == null || version.length() <= 16 ? version : version.substring(0, 16) + "…";
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(ch);
            }
        }
        return out.toString();
    }
}
