package io.mppbroker.slack;

import static com.slack.api.model.block.Blocks.actions;
import static com.slack.api.model.block.Blocks.context;
import static com.slack.api.model.block.Blocks.header;
import static com.slack.api.model.block.Blocks.section;
import static com.slack.api.model.block.composition.BlockCompositions.markdownText;
import static com.slack.api.model.block.composition.BlockCompositions.plainText;
import static com.slack.api.model.block.element.BlockElements.button;
import static io.mppbroker.slack.ApprovalBlocks.escape;
import static io.mppbroker.slack.ApprovalBlocks.limit;

import com.slack.api.model.block.LayoutBlock;
import com.slack.api.model.block.composition.TextObject;
import io.mppbroker.approval.ApprovalCard;
import java.util.ArrayList;
import java.util.List;

/**
 * An access request's card in Block Kit: what the agent asks (actions, resource, TTL), why, and the policy diff
 * approving it applies; Approve / Deny / Narrow… while pending (Narrow opens {@link NarrowModal}), who decided
 * afterwards. Agent-written text is escaped like on payment cards.
 */
final class AccessBlocks {

    private AccessBlocks() {}

    static String text(ApprovalCard card) {
        ApprovalCard.AccessCard a = card.access();
        String what = String.join(", ", a.actions()) + " on " + resource(a) + " for " + a.ttl() + " to " + card.agent()
                + " (project " + card.project() + ")";
        return card.isPending() ? "Access request: " + what : capitalize(card.status()) + ": " + what;
    }

    static List<LayoutBlock> card(ApprovalCard card) {
        ApprovalCard.AccessCard a = card.access();
        List<LayoutBlock> blocks = new ArrayList<>();
        String title = card.isPending() ? "Grant " + card.agent() + " " + String.join(", ", a.actions()) + "?"
                : capitalize(card.status()) + ": access for " + card.agent();
        blocks.add(header(h -> h.text(plainText(limit(title, 150)))));
        List<TextObject> fields = new ArrayList<>(List.of(
                field("Agent", card.agent()),
                field("Project", card.project()),
                field("Action", String.join(", ", a.actions())),
                field("Resource", resource(a)),
                field("TTL", a.ttl())));
        if (!a.branches().isEmpty()) fields.add(field("Branches", String.join(", ", a.branches())));
        blocks.add(section(s -> s.fields(fields)));
        blocks.add(section(s -> s.text(markdownText(limit("*Justification*\n" + escape(a.justification()), 3000)))));
        blocks.add(section(s -> s.text(markdownText(limit("*Policy change if approved*\n```" + escape(a.diff()) + "```", 3000)))));
        blocks.add(context(c -> c.elements(List.of(markdownText(limit(about(card), 3000))))));
        if (card.isPending()) {
            String id = card.approvalId();
            blocks.add(actions(x -> x.blockId(ApprovalBlocks.ACTIONS_BLOCK).elements(List.of(
                    button(b -> b.actionId(ApprovalBlocks.APPROVE).value(id).style("primary").text(plainText("Approve"))),
                    button(b -> b.actionId(ApprovalBlocks.DENY).value(id).style("danger").text(plainText("Deny"))),
                    button(b -> b.actionId(ApprovalBlocks.REVISE).value(id).text(plainText("Narrow…")))))));
        } else {
            blocks.add(context(c -> c.elements(List.of(markdownText(limit(decided(card), 3000))))));
        }
        return blocks;
    }

    static String decided(ApprovalCard card) {
        ApprovalCard.AccessCard a = card.access();
        String at = card.decidedAt() == null ? "" : " at " + card.decidedAt();
        String note = card.note() == null || card.note().isBlank() ? "" : ": " + escape(card.note());
        return switch (card.status()) {
            case "approved" -> "*Approved* by " + escape(card.decidedBy()) + " via " + escape(card.decidedVia()) + at + note
                    + (a.grantId() == null ? "" : "\nGrant " + a.grantId() + " until " + a.grantExpiresAt())
                    + (a.granted() == null ? "" : "\nNarrowed to " + escape(a.granted()));
            case "denied" -> "*Denied* by " + escape(card.decidedBy()) + " via " + escape(card.decidedVia()) + at + note;
            case "expired" -> "*Expired*" + at + ": nobody decided in time, so no access was granted";
            case "withdrawn" -> "*Withdrawn* by the agent" + at;
            default -> "*" + capitalize(card.status()) + "*" + at;
        };
    }

    private static String about(ApprovalCard card) {
        StringBuilder sb = new StringBuilder("Approval ").append(card.approvalId()).append(" · access request ")
                .append(card.access().accessRequestId()).append(" · asked at ").append(card.createdAt());
        if (card.requiredApprovals() > 1) {
            sb.append(" · ").append(card.approvedSoFar().size()).append(" of ").append(card.requiredApprovals()).append(" approvals");
        }
        if (card.isPending() && card.escalatesAt() != null) {
            sb.append(" · escalates at ").append(card.escalatesAt());
        }
        return sb.toString();
    }

    static String resource(ApprovalCard.AccessCard a) {
        return a.resource() == null ? "any resource" : a.resource();
    }

    private static TextObject field(String label, String value) {
        return markdownText(limit("*" + label + "*\n" + (value == null || value.isBlank() ? "–" : escape(value)), 2000));
    }

    private static String capitalize(String s) {
        return s == null || s.isEmpty() ? "" : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
