package io.mppbroker.reconciliation;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.mppbroker.mpp.ChargeRequest;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Charges from a CSV export made outside the broker: Stripe's payments export, or a card issuer's statement.
 * The header row names the columns (case and spaces do not matter); the first column found of each list is used:
 * <ul>
 *   <li>reference: {@code payment_intent}, {@code paymentintent_id}, {@code payment_intent_id}, or {@code id} when
 *       its values are PaymentIntent ids ({@code pi_...});</li>
 *   <li>amount: {@code amount} in major units ({@code 5.00}, as Stripe's dashboard exports it) or
 *       {@code amount_minor} in minor units ({@code 500}, as the API counts);</li>
 *   <li>currency: {@code currency} (optional when every charge is in the report's currency);</li>
 *   <li>time: {@code created}, {@code created_(utc)}, {@code created_at}, {@code date}, {@code transaction_date}:
 *       RFC 3339, {@code yyyy-MM-dd HH:mm[:ss]} (UTC), {@code yyyy-MM-dd}, or Unix seconds;</li>
 *   <li>merchant (card issuer exports): {@code merchant}, {@code merchant_name}, {@code description},
 *       {@code statement_descriptor}.</li>
 * </ul>
 * A row with a reference is matched by it; a row without one is matched by amount, currency, day (±1) and, when
 * given, preferably a merchant text that contains the seller's host. Rows of zero or negative amount (refunds,
 * credits) are skipped.
 */
public final class ExternalCharges {

    private static final List<String> REFERENCE = List.of("payment_intent", "paymentintent_id", "payment_intent_id", "id");
    private static final List<String> AMOUNT = List.of("amount");
    private static final List<String> AMOUNT_MINOR = List.of("amount_minor");
    private static final List<String> CURRENCY = List.of("currency");
    private static final List<String> CREATED = List.of("created", "created_(utc)", "created_utc", "created_at", "date",
            "transaction_date");
    private static final List<String> MERCHANT = List.of("merchant", "merchant_name", "description", "statement_descriptor");
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm[:ss]");
    /** Enough for years of charges; a bigger body is more likely a mistake than an export. */
    public static final int MAX_ROWS = 200_000;

    /**
     * One charge of the export. {@code line} is its line in the file (the header is line 1).
     *
     * @param reference a PaymentIntent id, or null when the export has none (card statements)
     */
    public record ExternalCharge(int line, String reference, BigDecimal amount, String currency, Instant created,
                                 String merchant) {}

    /** The export could not be read; the message names the line. */
    public static final class InvalidExport extends IllegalArgumentException {
        public InvalidExport(String message) {
            super(message);
        }
    }

    private ExternalCharges() {}

    public static List<ExternalCharge> parse(String csv) {
        if (csv == null || csv.isBlank()) {
            throw new InvalidExport("the export is empty: expected a header row and one line per charge");
        }
        String text = csv.startsWith("\uFEFF") ? csv.substring(1) : csv; // spreadsheet exports often start with a BOM
        CsvMapper mapper = CsvMapper.builder().enable(CsvParser.Feature.TRIM_SPACES)
                .enable(CsvParser.Feature.SKIP_EMPTY_LINES).build();
        List<ExternalCharge> charges = new ArrayList<>();
        try (MappingIterator<Map<String, String>> rows = mapper.readerForMapOf(String.class)
                .with(CsvSchema.emptySchema().withHeader()).readValues(text)) {
            Columns columns = null;
            while (rows.hasNextValue()) {
                // The row's opening token sits where the line before it ended; after nextValue the parser already
                // stands on the following line. (Blank lines skipped before a row are not counted.)
                int line = (int) rows.getParser().currentTokenLocation().getLineNr() + 1;
                Map<String, String> raw = rows.nextValue();
                Map<String, String> row = normalized(raw);
                if (columns == null) {
                    columns = Columns.of(row.keySet());
                }
                if (charges.size() >= MAX_ROWS) {
                    throw new InvalidExport("the export has more than " + MAX_ROWS + " charges; split it by date");
                }
                ExternalCharge charge = columns.read(row, line);
                if (charge.amount().signum() > 0) {
                    charges.add(charge); // refunds and credits (zero or negative) are not charges
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof InvalidExport invalid) {
                throw invalid;
            }
            throw new InvalidExport("the export is not readable CSV: " + e.getMessage());
        }
        return charges;
    }

    private static Map<String, String> normalized(Map<String, String> raw) {
        Map<String, String> row = new LinkedHashMap<>();
        raw.forEach((k, v) -> row.put(k.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", "_"),
                v == null || v.isBlank() ? null : v.strip()));
        return row;
    }

    private record Columns(String reference, String amount, String amountMinor, String currency, String created,
                           String merchant) {

        static Columns of(java.util.Set<String> names) {
            String amount = first(names, AMOUNT);
            String amountMinor = first(names, AMOUNT_MINOR);
            if (amount == null && amountMinor == null) {
                throw new InvalidExport("the export has no amount column (amount in major units, or amount_minor); columns: "
                        + names);
            }
            return new Columns(first(names, REFERENCE), amount, amountMinor, first(names, CURRENCY),
                    first(names, CREATED), first(names, MERCHANT));
        }

        private static String first(java.util.Set<String> names, List<String> candidates) {
            return candidates.stream().filter(names::contains).findFirst().orElse(null);
        }

        ExternalCharge read(Map<String, String> row, int line) {
            String ref = reference == null ? null : row.get(reference);
            if (ref != null && !ref.startsWith("pi_")) {
                ref = null; // a charge or balance id: matched by amount and date instead
            }
            String code = currency == null || row.get(currency) == null ? null : row.get(currency).toLowerCase(Locale.ROOT);
            BigDecimal value = amount(row, line, code);
            Instant at = created == null ? null : time(row.get(created), line);
            return new ExternalCharge(line, ref, value, code, at, merchant == null ? null : row.get(merchant));
        }

        private BigDecimal amount(Map<String, String> row, int line, String currency) {
            try {
                if (amount != null && row.get(amount) != null) {
                    return new BigDecimal(row.get(amount).replace(",", ""));
                }
                if (amountMinor != null && row.get(amountMinor) != null) {
                    long minor = Long.parseLong(row.get(amountMinor));
                    int digits = currency == null ? 2 : safeDigits(currency);
                    return BigDecimal.valueOf(minor, digits);
                }
            } catch (NumberFormatException e) {
                throw new InvalidExport("line " + line + ": amount is not a number");
            }
            throw new InvalidExport("line " + line + ": amount is missing");
        }
    }

    static int safeDigits(String currency) {
        try {
            return ChargeRequest.fractionDigits(currency);
        } catch (RuntimeException unknown) {
            return 2;
        }
    }

    static Instant time(String value, int line) {
        if (value == null) {
            return null;
        }
        try {
            if (value.matches("[0-9]{9,11}")) {
                return Instant.ofEpochSecond(Long.parseLong(value));
            }
            if (value.matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            Optional<Instant> offset = parseOffset(value);
            if (offset.isPresent()) {
                return offset.get();
            }
            return LocalDateTime.parse(value.replace('T', ' '), LOCAL).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new InvalidExport("line " + line + ": unreadable date '" + value + "' (RFC 3339, yyyy-MM-dd HH:mm:ss UTC,"
                    + " yyyy-MM-dd or Unix seconds)");
        }
    }

    private static Optional<Instant> parseOffset(String value) {
        try {
            return Optional.of(OffsetDateTime.parse(value.replace(' ', 'T')).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
