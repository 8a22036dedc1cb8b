package io.mppbroker.mpp;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.chrono.IsoChronology;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.util.Locale;

/** RFC 3339 date-time parsing: seconds required, fraction optional (mppx sends milliseconds), offset required. */
final class Rfc3339 {

    private static final DateTimeFormatter FORMAT = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral('T')
            .appendValue(ChronoField.HOUR_OF_DAY, 2)
            .appendLiteral(':')
            .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
            .appendLiteral(':')
            .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
            .optionalEnd()
            .appendOffset("+HH:MM", "Z")
            .toFormatter(Locale.ROOT)
            .withChronology(IsoChronology.INSTANCE)
            .withResolverStyle(ResolverStyle.STRICT);

    private Rfc3339() {
    }

    static Instant parse(String value, String what) {
        if (value.length() > 64) {
            throw new MppProtocolException(what + " is not an RFC 3339 date-time: too long");
        }
        try {
            return OffsetDateTime.parse(value, FORMAT).toInstant();
        } catch (DateTimeException e) {
            throw new MppProtocolException(what + " is not an RFC 3339 date-time: '" + value + "'");
        }
    }
}
