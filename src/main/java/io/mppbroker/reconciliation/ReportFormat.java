package io.mppbroker.reconciliation;

import java.util.Locale;

/** How the report is written: json (the whole report), csv (one table of it), html (a page with a chart). */
public enum ReportFormat {
    JSON("application/json"),
    CSV("text/csv; charset=utf-8; header=present"),
    HTML("text/html; charset=utf-8");

    private final String mediaType;

    ReportFormat(String mediaType) {
        this.mediaType = mediaType;
    }

    public String mediaType() {
        return mediaType;
    }

    /** Null means json. */
    public static ReportFormat parse(String value) {
        if (value == null || value.isBlank()) {
            return JSON;
        }
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("format must be json, csv or html, not '" + value + "'");
        }
    }

    /** Which table a CSV holds: the charges (default), the totals or the discrepancies. */
    public enum Table {
        CHARGES, TOTALS, DISCREPANCIES;

        public static Table parse(String value) {
            if (value == null || value.isBlank()) {
                return CHARGES;
            }
            try {
                return valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("table must be charges, totals or discrepancies, not '" + value + "'");
            }
        }
    }
}
