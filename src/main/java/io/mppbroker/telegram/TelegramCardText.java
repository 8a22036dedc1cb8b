package io.mppbroker.telegram;

import io.mppbroker.approval.ApprovalCard;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.InlineKeyboardMarkup;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardButton;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.buttons.InlineKeyboardRow;

/**
 * An approval card as a Telegram message: HTML ({@code parse_mode=HTML}) with every value escaped, and the
 * Approve / Deny / Revise keyboard while the approval is open. Free-text fields are capped so the visible text
 * stays under Telegram's 4096 characters whatever the agent wrote.
 */
public final class TelegramCardText {

    /** Telegram's limit is 4096 characters of visible text; a margin for the separators. */
    static final int MAX_VISIBLE = 4000;

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private TelegramCardText() {}

    public static String html(ApprovalCard card) {
        if (card.isAboutAccess()) {
            return accessHtml(card);
        }
        Html h = new Html();
        String amount = card.amount() + " " + upper(card.currency());
        switch (card.status()) {
            case "pending" -> h.text("\uD83D\uDCB3 ").bold("Approval needed: " + amount);
            case "approved" -> h.text("\u2705 ").bold("Approved: " + amount);
            case "denied" -> h.text("\u274C ").bold("Denied: " + amount);
            case "expired" -> h.text("\u231B ").bold("Expired, no answer in time: " + amount);
            case "withdrawn" -> h.text("\u21A9 ").bold("Withdrawn by the agent: " + amount);
            case "superseded" -> h.text("\u21AA ").bold("Superseded by a newer request: " + amount);
            default -> h.bold(cap(card.status(), 40) + ": " + amount);
        }
        h.line();
        if (!card.isPending() && card.decidedBy() != null && !"timeout".equals(card.decidedBy())) {
            h.text("by ").bold(cap(card.decidedBy(), 100));
            if (card.decidedVia() != null) {
                h.text(" via " + cap(card.decidedVia(), 40));
            }
            if (card.decidedAt() != null) {
                h.text(", " + when(card.decidedAt()));
            }
            h.line();
        } else if (!card.isPending() && card.decidedAt() != null) {
            h.text(when(card.decidedAt())).line();
        }
        if (card.note() != null && !card.note().isBlank()) {
            h.bold("Note: ").italic(cap(card.note(), 800)).line();
        }
        h.line();
        h.bold("Agent: ").text(cap(card.agent(), 100) + " (project " + cap(card.project(), 100) + ")").line();
        h.bold("Task: ").text(cap(card.task(), 200)).line();
        if (card.purpose() != null && !card.purpose().isBlank()) {
            h.bold("Purpose: ").text(cap(card.purpose(), 500)).line();
        }
        h.bold("Seller: ").text(cap(card.sellerHost(), 120)).text(" ").code(cap(card.sellerUrl(), 300)).line();
        h.bold("Tier: ").text(cap(card.tier(), 40));
        if (card.reason() != null && !card.reason().isBlank()) {
            h.text(", " + cap(card.reason(), 400));
        }
        h.line();
        if (!card.budgets().isEmpty()) {
            h.bold("Budgets").line();
            for (ApprovalCard.BudgetLine b : card.budgets().subList(0, Math.min(4, card.budgets().size()))) {
                h.text("\u2022 " + cap(b.window(), 220) + ": " + b.used() + " of " + b.limit() + " used, "
                        + b.leftAfter() + " left after this payment").line();
            }
        }
        List<String> flags = card.riskFlags();
        if (!flags.isEmpty()) {
            h.bold("Risk").line();
            for (String f : flags.subList(0, Math.min(6, flags.size()))) {
                h.text("\u26A0 " + cap(f, 200)).line();
            }
        }
        if (card.requiredApprovals() > 1) {
            h.bold("Approvals: ").text(card.approvedSoFar().size() + " of " + card.requiredApprovals());
            if (!card.approvedSoFar().isEmpty()) {
                h.text(" (" + cap(String.join(", ", card.approvedSoFar()), 300) + ")");
            }
            h.line();
        }
        if (card.isPending() && card.escalationLevel() > 0) {
            h.text("Escalated (level " + card.escalationLevel() + ")").line();
        }
        if (card.isPending() && card.escalatesAt() != null) {
            h.text((card.escalationLevel() > 0 ? "Next step " : "Escalates ") + when(card.escalatesAt())).line();
        }
        h.text("Approval ").code(card.approvalId()).text(" \u00B7 payment ").code(card.paymentId());
        if (h.visible > MAX_VISIBLE) {
            // Unreachable with the caps above; kept so a future field cannot make Telegram refuse every card.
            throw new IllegalStateException("approval card text is " + h.visible + " characters");
        }
        return h.toString();
    }

    /** An access request: what is asked, why, the policy diff approving it applies, and how it ended. */
    static String accessHtml(ApprovalCard card) {
        ApprovalCard.AccessCard a = card.access();
        Html h = new Html();
        String what = "access for " + cap(card.agent(), 100);
        switch (card.status()) {
            case "pending" -> h.text("\uD83D\uDD11 ").bold("Access request: " + cap(String.join(", ", a.actions()), 300));
            case "approved" -> h.text("\u2705 ").bold("Approved: " + what);
            case "denied" -> h.text("\u274C ").bold("Denied: " + what);
            case "expired" -> h.text("\u231B ").bold("Expired, no answer in time: " + what);
            case "withdrawn" -> h.text("\u21A9 ").bold("Withdrawn by the agent: " + what);
            default -> h.bold(cap(card.status(), 40) + ": " + what);
        }
        h.line();
        if (!card.isPending() && card.decidedBy() != null && !"timeout".equals(card.decidedBy())) {
            h.text("by ").bold(cap(card.decidedBy(), 100));
            if (card.decidedVia() != null) h.text(" via " + cap(card.decidedVia(), 40));
            if (card.decidedAt() != null) h.text(", " + when(card.decidedAt()));
            h.line();
        }
        if (a.grantId() != null) {
            h.text("Grant ").code(a.grantId()).text(" until " + when(a.grantExpiresAt())).line();
        }
        if (a.granted() != null) {
            h.text("Narrowed to " + cap(a.granted(), 400)).line();
        }
        if (card.note() != null && !card.note().isBlank()) {
            h.bold("Note: ").italic(cap(card.note(), 500)).line();
        }
        h.line();
        h.bold("Agent: ").text(cap(card.agent(), 100) + " (project " + cap(card.project(), 100) + ")").line();
        h.bold("Action: ").text(cap(String.join(", ", a.actions()), 300)).line();
        h.bold("Resource: ").code(cap(a.resource() == null ? "any resource" : a.resource(), 300)).line();
        if (!a.branches().isEmpty()) h.bold("Branches: ").text(cap(String.join(", ", a.branches()), 200)).line();
        h.bold("TTL: ").text(a.ttl()).line();
        h.bold("Justification: ").text(cap(a.justification(), 600)).line();
        h.bold("Policy change if approved").line();
        h.pre(cap(a.diff(), 1800)).line();
        if (card.requiredApprovals() > 1) {
            h.bold("Approvals: ").text(card.approvedSoFar().size() + " of " + card.requiredApprovals()).line();
        }
        h.text("Approval ").code(card.approvalId()).text(" \u00B7 access request ").code(a.accessRequestId());
        if (h.visible > MAX_VISIBLE) {
            throw new IllegalStateException("access card text is " + h.visible + " characters");
        }
        return h.toString();
    }

    /** Approve / Deny on one row, Revise under them; null once the approval is closed (removes the keyboard). */
    public static InlineKeyboardMarkup keyboard(ApprovalCard card) {
        if (!card.isPending()) {
            return null;
        }
        return InlineKeyboardMarkup.builder()
                .keyboardRow(new InlineKeyboardRow(
                        button("\u2705 Approve", new CallbackData(CallbackData.Action.APPROVE, card.approvalId())),
                        button("\u274C Deny", new CallbackData(CallbackData.Action.DENY, card.approvalId()))))
                .keyboardRow(new InlineKeyboardRow(
                        button(card.isAboutAccess() ? "\u270F Narrow" : "\u270F Revise",
                                new CallbackData(CallbackData.Action.REVISE, card.approvalId()))))
                .build();
    }

    private static InlineKeyboardButton button(String label, CallbackData data) {
        return InlineKeyboardButton.builder().text(label).callbackData(data.encode()).build();
    }

    static String when(String isoInstant) {
        try {
            return WHEN.format(Instant.parse(isoInstant));
        } catch (DateTimeParseException e) {
            return isoInstant;
        }
    }

    private static String upper(String s) {
        return s == null ? "" : s.toUpperCase(Locale.ROOT);
    }

    /** At most {@code max} characters, never splitting a surrogate pair; "…" marks the cut. */
    static String cap(String s, int max) {
        if (s == null) {
            return "";
        }
        if (s.length() <= max) {
            return s;
        }
        int end = max - 1;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "\u2026";
    }

    /** Escapes per https://core.telegram.org/bots/api#html-style and counts what the reader will see. */
    static final class Html {
        private final StringBuilder out = new StringBuilder();
        int visible;

        Html text(String s) {
            out.append(escape(s));
            visible += s.length();
            return this;
        }

        Html bold(String s) {
            return tag("b", s);
        }

        Html italic(String s) {
            return tag("i", s);
        }

        Html code(String s) {
            return tag("code", s);
        }

        Html pre(String s) {
            return tag("pre", s);
        }

        Html line() {
            return text("\n");
        }

        private Html tag(String tag, String s) {
            out.append('<').append(tag).append('>');
            text(s);
            out.append("</").append(tag).append('>');
            return this;
        }

        static String escape(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }

        @Override
        public String toString() {
            return out.toString();
        }
    }
}
