package io.mppbroker.reconciliation;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * The report's time window from the query or command line. A date ({@code 2026-03-01}) means that whole UTC day:
 * {@code from} starts it, {@code to} includes it. An RFC 3339 time is taken as it is ({@code to} exclusive).
 * A missing end is open.
 */
public record ReportWindow(Instant from, Instant to) {

    public static ReportWindow parse(String from, String to) {
        Instant start = from == null || from.isBlank() ? null : time(from.strip(), false, "from");
        Instant end = to == null || to.isBlank() ? null : time(to.strip(), true, "to");
        if (start != null && end != null && !start.isBefore(end)) {
            throw new IllegalArgumentException("from (" + start + ") must be before to (" + end + ")");
        }
        return new ReportWindow(start, end);
    }

    private static Instant time(String value, boolean endOfDay, String name) {
        try {
            if (value.length() == 10) {
                LocalDate day = LocalDate.parse(value);
                return (endOfDay ? day.plusDays(1) : day).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be a date (2026-03-01) or an RFC 3339 time"
                    + " (2026-03-01T00:00:00Z), not '" + value + "'");
        }
    }
}
