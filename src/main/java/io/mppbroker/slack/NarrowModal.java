package io.mppbroker.slack;

import static com.slack.api.model.block.Blocks.input;
import static com.slack.api.model.block.Blocks.section;
import static com.slack.api.model.block.composition.BlockCompositions.markdownText;
import static com.slack.api.model.block.composition.BlockCompositions.plainText;
import static com.slack.api.model.block.element.BlockElements.checkboxes;
import static com.slack.api.model.block.element.BlockElements.plainTextInput;
import static com.slack.api.model.view.Views.view;
import static com.slack.api.model.view.Views.viewClose;
import static com.slack.api.model.view.Views.viewSubmit;
import static com.slack.api.model.view.Views.viewTitle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.slack.api.model.block.LayoutBlock;
import com.slack.api.model.block.composition.OptionObject;
import com.slack.api.model.view.View;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.ApprovalResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The "Narrow…" form of an access card: approve with a shorter TTL and, when several actions were asked, fewer
 * of them. It cannot widen anything: the broker refuses a longer TTL or an action that was not asked, and tells
 * the approver why. Parsed by the same rules as {@code POST /v1/approvals/{id}} with {@code ttl}/{@code actions}.
 */
public final class NarrowModal {

    public static final String CALLBACK_ID = "mpp_narrow";
    public static final String TTL = "ttl";
    public static final String ACTIONS = "actions";
    public static final String NOTE = "note";
    public static final String VALUE = "value";

    private static final ObjectMapper JSON = new ObjectMapper();

    private NarrowModal() {}

    public static View build(ApprovalCard card, String channel) {
        ApprovalCard.AccessCard a = card.access();
        String summary = "*" + ApprovalBlocks.escape(String.join(", ", a.actions())) + "* on "
                + ApprovalBlocks.escape(AccessBlocks.resource(a)) + " for " + ApprovalBlocks.escape(card.agent())
                + ", asked for *" + a.ttl() + "*\nSubmitting approves with these limits; they can only be narrower.";
        ObjectNode metadata = JSON.createObjectNode().put("approval", card.approvalId()).put("channel", channel);
        List<LayoutBlock> blocks = new ArrayList<>();
        blocks.add(section(s -> s.text(markdownText(ApprovalBlocks.limit(summary, 3000)))));
        blocks.add(input(i -> i.blockId(TTL).optional(true)
                .label(plainText("Valid for"))
                .hint(plainText("At most " + a.ttl() + "; e.g. 30m, 2h, 1d"))
                .element(plainTextInput(p -> p.actionId(VALUE).initialValue(a.ttl())))));
        if (a.actions().size() > 1) {
            List<OptionObject> options = a.actions().stream()
                    .map(x -> OptionObject.builder().text(plainText(ApprovalBlocks.limit(x, 75))).value(x).build()).toList();
            blocks.add(input(i -> i.blockId(ACTIONS)
                    .label(plainText("Actions granted"))
                    .element(checkboxes(c -> c.actionId(VALUE).options(options).initialOptions(options)))));
        }
        blocks.add(input(i -> i.blockId(NOTE).optional(true)
                .label(plainText("Note to the agent"))
                .element(plainTextInput(p -> p.actionId(VALUE).multiline(true).maxLength(2000)))));
        return view(v -> v.type("modal")
                .callbackId(CALLBACK_ID)
                .privateMetadata(metadata.toString())
                .title(viewTitle(t -> t.type("plain_text").text("Narrow access")))
                .submit(viewSubmit(s -> s.type("plain_text").text("Approve")))
                .close(viewClose(c -> c.type("plain_text").text("Cancel")))
                .blocks(blocks));
    }

    public static RevisionModal.Submission parse(JsonNode view) {
        RevisionModal.Context context;
        try {
            JsonNode meta = JSON.readTree(view.path("private_metadata").asText(""));
            context = new RevisionModal.Context(meta.path("approval").asText(null), meta.path("channel").asText(null));
        } catch (Exception e) {
            context = new RevisionModal.Context(null, null);
        }
        JsonNode values = view.path("state").path("values");
        Map<String, String> errors = new LinkedHashMap<>();
        if (context.approvalId() == null) {
            errors.put(NOTE, "This form is no longer linked to an approval; click Narrow on the card again.");
            return new RevisionModal.Submission(context, null, errors);
        }
        String ttl = text(values, TTL);
        String note = text(values, NOTE);
        List<String> actions = null;
        JsonNode selected = values.path(ACTIONS).path(VALUE);
        if (!selected.isMissingNode()) {
            actions = new ArrayList<>();
            for (JsonNode o : selected.path("selected_options")) actions.add(o.path("value").asText());
            if (actions.isEmpty()) {
                errors.put(ACTIONS, "Keep at least one action; to grant none, Deny on the card.");
                return new RevisionModal.Submission(context, null, errors);
            }
        }
        try {
            return new RevisionModal.Submission(context, ApprovalResource.parse(new ApprovalResource.DecisionBody(
                    "approve", note, null, null, null, ttl, actions)), errors);
        } catch (ApiProblem problem) {
            errors.put(problem.detail() != null && problem.detail().startsWith("actions") ? ACTIONS : TTL, problem.detail());
            return new RevisionModal.Submission(context, null, errors);
        }
    }

    private static String text(JsonNode values, String block) {
        JsonNode v = values.path(block).path(VALUE).path("value");
        return v.isTextual() && !v.asText().isBlank() ? v.asText().strip() : null;
    }
}
