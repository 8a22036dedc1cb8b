package io.mppbroker.slack;

import static com.slack.api.model.block.Blocks.actions;
import static com.slack.api.model.block.Blocks.context;
import static com.slack.api.model.block.Blocks.header;
import static com.slack.api.model.block.Blocks.section;
import static com.slack.api.model.block.composition.BlockCompositions.markdownText;
import static com.slack.api.model.block.composition.BlockCompositions.plainText;
import static com.slack.api.model.block.element.BlockElements.button;

import com.slack.api.model.block.LayoutBlock;
import com.slack.api.model.block.composition.TextObject;
import io.mppbroker.approval.ApprovalCard;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The approval card as Slack Block Kit: what is asked, the budget before and after, the risk flags, and
 * either the Approve / Deny / Revise buttons (pending) or who decided, how and when (decided). Everything
 * that comes from agents or sellers is escaped, so a purpose cannot mention {@code @channel} or fake a link.
 */
public final class ApprovalBlocks {

    public static final String ACTIONS_BLOCK = "approval_actions";
    public static final String APPROVE = "approve";
    public static final String DENY = "deny";
    public static final String REVISE = "revise";

    private ApprovalBlocks() {}

    /** The notification text shown where blocks are not (push notifications, screen readers). */
    public static String text(ApprovalCard card) {
        if (card.isAboutAccess()) {
            return AccessBlocks.text(card);
        }
        String what = card.amount() + " " + upper(card.currency()) + " to " + card.sellerHost() + " for " + card.agent()
                + " (project " + card.project() + ", task " + card.task() + ")";
        return card.isPending() ? "Approval needed: " + what : outcome(card) + ": " + what;
    }

    public static List<LayoutBlock> card(ApprovalCard card) {
        if (card.isAboutAccess()) {
            return AccessBlocks.card(card);
        }
        List<LayoutBlock> blocks = new ArrayList<>();
        String payment = card.amount() + " " + upper(card.currency()) + " to " + card.sellerHost();
        String title = card.isPending() ? "Approve " + payment + "?" : capitalize(card.status()) + ": " + payment;
        blocks.add(header(h -> h.text(plainText(limit(title, 150)))));
        List<TextObject> fields = List.of(
                field("Agent", card.agent()),
                field("Project", card.project()),
                field("Task", card.task()),
                field("Amount", card.amount() + " " + upper(card.currency())),
                markdownText(limit("*Seller*\n" + escape(card.sellerHost()) + "\n" + escape(card.sellerUrl()), 2000)),
                field("Tier", card.tier() + (card.reason() == null ? "" : ": " + card.reason())));
        blocks.add(section(s -> s.fields(fields)));
        blocks.add(section(s -> s.text(markdownText(limit("*Purpose*\n"
                + (blank(card.purpose()) ? "_none given_" : escape(card.purpose())), 3000)))));
        blocks.add(section(s -> s.text(markdownText(limit("*Budget*\n" + budgets(card), 3000)))));
        blocks.add(section(s -> s.text(markdownText(limit("*Risk flags*\n"
                + bullets(card.riskFlags().stream().map(ApprovalBlocks::escape).toList(), "none"), 3000)))));
        blocks.add(context(c -> c.elements(List.of(markdownText(limit(about(card), 3000))))));
        if (card.isPending()) {
            String id = card.approvalId();
            blocks.add(actions(a -> a.blockId(ACTIONS_BLOCK).elements(List.of(
                    button(b -> b.actionId(APPROVE).value(id).style("primary").text(plainText("Approve"))),
                    button(b -> b.actionId(DENY).value(id).style("danger").text(plainText("Deny"))),
                    button(b -> b.actionId(REVISE).value(id).text(plainText("Revise…")))))));
        } else {
            blocks.add(context(c -> c.elements(List.of(markdownText(limit(decided(card), 3000))))));
        }
        return blocks;
    }

    /** "*Approved* by fin-approver-1 via slack at 2026-05-04T10:00:00Z: ok for Q3". */
    static String decided(ApprovalCard card) {
        String at = card.decidedAt() == null ? "" : " at " + card.decidedAt();
        String note = blank(card.note()) ? "" : ": " + escape(card.note());
        return switch (card.status()) {
            case "approved", "denied" -> "*" + capitalize(card.status()) + "* by " + escape(card.decidedBy())
                    + " via " + escape(card.decidedVia()) + at + note;
            case "expired" -> "*Expired*" + at + ": nobody decided in time, so the payment was not made";
            case "withdrawn" -> "*Withdrawn* by the agent" + at;
            case "superseded" -> "*Superseded*" + at + ": the agent asked again and a new card was posted";
            default -> "*" + capitalize(card.status()) + "*" + at;
        };
    }

    private static String outcome(ApprovalCard card) {
        return switch (card.status()) {
            case "approved", "denied" -> capitalize(card.status()) + " by " + card.decidedBy() + " via " + card.decidedVia();
            default -> capitalize(card.status());
        };
    }

    private static String budgets(ApprovalCard card) {
        if (card.budgets().isEmpty()) {
            return "no budget limit applies";
        }
        List<String> lines = new ArrayList<>();
        for (ApprovalCard.BudgetLine b : card.budgets()) {
            lines.add(escape(b.window()) + ": " + b.used() + " of " + b.limit() + " used, *" + b.leftAfter()
                    + "* left after this payment");
        }
        return bullets(lines, "");
    }

    private static String about(ApprovalCard card) {
        StringBuilder sb = new StringBuilder("Approval ").append(card.approvalId()).append(" · payment ")
                .append(card.paymentId()).append(" · asked at ").append(card.createdAt());
        if (card.requiredApprovals() > 1) {
            sb.append(" · ").append(card.approvedSoFar().size()).append(" of ").append(card.requiredApprovals())
                    .append(" approvals");
            if (!card.approvedSoFar().isEmpty()) {
                sb.append(" (").append(escape(String.join(", ", card.approvedSoFar()))).append(")");
            }
        }
        if (card.isPending() && card.escalatesAt() != null) {
            sb.append(" · escalates at ").append(card.escalatesAt());
        }
        return sb.toString();
    }

    private static TextObject field(String label, String value) {
        return markdownText(limit("*" + label + "*\n" + (blank(value) ? "–" : escape(value)), 2000));
    }

    /** Items already escaped. */
    private static String bullets(List<String> items, String none) {
        if (items.isEmpty()) {
            return none;
        }
        StringBuilder sb = new StringBuilder();
        for (String item : items) {
            sb.append(sb.isEmpty() ? "" : "\n").append("• ").append(item);
        }
        return sb.toString();
    }

    /** Slack's mrkdwn needs only these three escaped (https://api.slack.com/reference/surfaces/formatting#escaping). */
    static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static String limit(String s, int max) {
        return s.codePointCount(0, s.length()) <= max ? s : s.substring(0, s.offsetByCodePoints(0, max - 1)) + "…";
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String upper(String s) {
        return s == null ? "" : s.toUpperCase(Locale.ROOT);
    }

    private static String capitalize(String s) {
        return s == null || s.isEmpty() ? "" : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
