package io.mppbroker.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.mppbroker.ledger.Money;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One audit line as a person reads it in a session's timeline ({@code replay}, the dashboard's live sessions):
 * when, which event, for which task, and one sentence with the essentials. Events it does not know are still
 * shown: every value a line carries beyond the chain fields is printed, known keys in words, others as
 * {@code key=value}, so lines added by later versions never disappear from a replay.
 */
public record TimelineStep(long seq, String ts, String event, String task, String decision, String text) {

    /** Chain and identity fields: the timeline's own columns or its header already say them. */
    private static final Set<String> NOT_TEXT = Set.of(AuditLines.SEQ, AuditLines.PREV_HASH, AuditLines.HASH, "ts",
            "event", "agent", "project", "task", "policy_version", "decision_id");

    public static TimelineStep of(Map<String, Object> line) {
        Reader r = new Reader(line);
        Object seq = line.get(AuditLines.SEQ);
        String event = r.text("event");
        String decision = r.text("decision");
        String text = AuditTrail.ACTION_PAY.equals(line.get("action")) ? payment(r, event) : access(r, event);
        return new TimelineStep(seq instanceof Number n ? n.longValue() : -1, r.text("ts"), event, r.text("task"),
                decision, text);
    }

    /** One line of text: time, event, decision, what happened; {@code [task]} when the step belongs to one. */
    public String format() {
        String lead = String.format("%-24s %-24s %-5s ", time(ts), event == null ? "?" : event,
                decision == null ? "" : decision);
        String body = (task == null ? "" : "[" + task + "] ") + text;
        // Continuation lines (a policy diff) line up under the text.
        return lead + body.replace("\n", "\n" + " ".repeat(lead.length()));
    }

    private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** Lines carry nanoseconds; a timeline column of milliseconds lines up (always 24 characters). */
    private static String time(String ts) {
        try {
            return ts == null ? "" : MILLIS.format(Instant.parse(ts));
        } catch (DateTimeParseException e) {
            return ts;
        }
    }

    /**
     * A payment step. The broker writes the essentials of each payment step into its reason ("402 5.00 usd realm
     * ...", "approved by alice via slack", "paid 5.00 usd"), so the amount and the reason carry it.
     */
    private static String payment(Reader r, String event) {
        r.used("action", "decision", "http_status");
        List<String> parts = new ArrayList<>();
        String paymentId = r.text("payment_id");
        String resource = r.text("resource");
        if ("request".equals(event)) {
            parts.add("payment " + paymentId + " for " + resource);
        }
        String currency = r.text("currency");
        String amount = amount(r.text("amount"), currency);
        String reason = r.text("reason");
        if (amount != null && !"request".equals(event) && (reason == null || !reason.contains(amount))) {
            parts.add(amount + (currency == null ? "" : " " + currency));
        }
        String approvedBy = r.text("approved_by");
        StringBuilder text = new StringBuilder(String.join(" ", parts));
        if (reason != null) {
            text.append(text.isEmpty() ? "" : ": ").append(reason);
        }
        if (approvedBy != null && (reason == null || !reason.contains(approvedBy))) {
            text.append(" (approved by ").append(approvedBy).append(')');
        }
        String receipt = r.text("receipt_reference");
        if (receipt != null) {
            text.append(" receipt ").append(receipt);
        }
        return r.withRest(text.toString());
    }

    /** As people read amounts: the line stores the database's scale ("42.5000"), the text shows "42.50". */
    private static String amount(String amount, String currency) {
        try {
            return amount == null ? null : Money.format(new BigDecimal(amount), currency == null ? "" : currency);
        } catch (NumberFormatException e) {
            return amount;
        }
    }

    /**
     * Access decisions ({@code access}), access requests and grants in words; anything not known yet: action and
     * resource, then the request, grant, approver, expiry, reason and HTTP status where the line has them.
     */
    private static String access(Reader r, String event) {
        if (AccessAuditEntry.EVENT.equals(event)) {
            return r.withRest(accessDecision(r));
        }
        if (event != null && event.startsWith("access_request.")) {
            return r.withRest(accessRequest(r, event));
        }
        if (event != null && event.startsWith("grant.")) {
            return r.withRest(grant(r));
        }
        r.used("decision");
        List<String> parts = new ArrayList<>();
        r.opt("action").ifPresent(parts::add);
        r.opt("resource").ifPresent(parts::add);
        r.opt("access_request_id").ifPresent(v -> parts.add("request " + v));
        r.opt("grant_id").ifPresent(v -> parts.add("grant " + v));
        r.opt("approved_by").ifPresent(v -> parts.add("approved by " + v));
        r.opt("expires").ifPresent(v -> parts.add("expires " + v));
        StringBuilder text = new StringBuilder(String.join(" ", parts));
        r.opt("reason").ifPresent(v -> text.append(text.isEmpty() ? "" : ": ").append(v));
        r.opt("http_status").ifPresent(v -> text.append(" (HTTP ").append(v).append(')'));
        return r.withRest(text.toString());
    }

    /** "stripe:charges:read on stripe.com/v1/charges denied: reason (HTTP 403)", or allowed by which grant. */
    private static String accessDecision(Reader r) {
        String decision = r.text("decision");
        StringBuilder text = new StringBuilder(r.opt("action").orElse("?"));
        r.opt("resource").ifPresent(v -> text.append(" on ").append(v));
        boolean allowed = "ALLOW".equals(decision);
        text.append(allowed ? " allowed" : "DENY".equals(decision) ? " denied" : "");
        String grant = r.text("grant_id");
        if (allowed && grant != null) {
            text.append(" by grant ").append(grant);
            List<String> about = new ArrayList<>();
            r.opt("approved_by").ifPresent(v -> about.add("approved by " + v));
            about.add(r.opt("expires").map(v -> "expires " + v).orElse("no expiry"));
            text.append(" (").append(String.join(", ", about)).append(')');
        } else if (grant != null) {
            text.append(" (grant ").append(grant).append(')');
        }
        r.opt("reason").ifPresent(v -> text.append(": ").append(v));
        r.opt("http_status").ifPresent(v -> text.append(" (HTTP ").append(v).append(')'));
        return text.toString();
    }

    /**
     * The broker writes each request step's essentials into the reason (what was requested for how long and why,
     * the proposed grant, who decided via which channel); the text names the request and adds the grant it became.
     */
    private static String accessRequest(Reader r, String event) {
        r.used("decision", "action", "resource", "approved_by");
        StringBuilder text = new StringBuilder("access request " + r.opt("access_request_id").orElse("?"));
        r.opt("reason").ifPresent(v -> text.append(": ").append(v));
        r.opt("grant_id").ifPresent(v -> text.append("; grant ").append(v)
                .append(r.opt("expires").map(e -> " until " + e).orElse("")));
        return text.toString();
    }

    /** "grant grt_1 added: stripe [charges:read] ... until ..., approved by alice (request acr_1)". */
    private static String grant(Reader r) {
        r.used("decision", "action", "resource", "approved_by", "expires");
        String grant = r.opt("grant_id").orElse("?");
        StringBuilder text = new StringBuilder(r.opt("reason").orElse("grant " + grant));
        if (!text.toString().contains(grant)) {
            text.insert(0, "grant " + grant + ": ");
        }
        r.opt("access_request_id").ifPresent(v -> text.append(" (request ").append(v).append(')'));
        return text.toString();
    }

    /** Reads values of a line and remembers which ones the text used, so the rest can be appended. */
    private static final class Reader {
        private final Map<String, Object> line;
        private final Set<String> used = new HashSet<>(NOT_TEXT);

        Reader(Map<String, Object> line) {
            this.line = line;
        }

        void used(String... keys) {
            used.addAll(List.of(keys));
        }

        String text(String key) {
            used.add(key);
            return value(line.get(key));
        }

        java.util.Optional<String> opt(String key) {
            return java.util.Optional.ofNullable(text(key));
        }

        /** Appends {@code key=value} for every non-null value the text did not use, in the line's order. */
        String withRest(String text) {
            StringBuilder out = new StringBuilder(text);
            for (Map.Entry<String, Object> e : AuditLines.inFileOrder(line).entrySet()) {
                String v = used.contains(e.getKey()) ? null : value(e.getValue());
                if (v != null) {
                    out.append(out.isEmpty() ? "" : " ").append(e.getKey()).append('=').append(v);
                }
            }
            return out.toString();
        }

        private static String value(Object v) {
            if (v == null) {
                return null;
            }
            String s;
            if (v instanceof Map<?, ?> || v instanceof List<?>) {
                try {
                    s = AuditLines.JSON.writeValueAsString(v);
                } catch (JsonProcessingException e) {
                    s = String.valueOf(v);
                }
            } else {
                s = String.valueOf(v);
            }
            return printable(s);
        }
    }

    /**
     * Agents write reasons and justifications: control characters (terminal escape sequences) are shown as
     * {@code \\uXXXX} instead of reaching a terminal. Line breaks stay (a policy diff has them).
     */
    static String printable(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                out.append(c);
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
