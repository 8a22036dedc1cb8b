package io.mppbroker.slack;

import static com.slack.api.model.block.Blocks.input;
import static com.slack.api.model.block.Blocks.section;
import static com.slack.api.model.block.composition.BlockCompositions.markdownText;
import static com.slack.api.model.block.composition.BlockCompositions.plainText;
import static com.slack.api.model.block.element.BlockElements.plainTextInput;
import static com.slack.api.model.view.Views.view;
import static com.slack.api.model.view.Views.viewClose;
import static com.slack.api.model.view.Views.viewSubmit;
import static com.slack.api.model.view.Views.viewTitle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.ApprovalDecision;
import io.mppbroker.approval.ApprovalResource;
import com.slack.api.model.view.View;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The "Revise" form: approve with a lower maximum for this payment, a new budget for the task (for a
 * while), and a note to the agent. The submission is validated by the same rules as the HTTP API
 * ({@link ApprovalResource#parse}); problems go back into the form next to the field.
 */
public final class RevisionModal {

    public static final String CALLBACK_ID = "mpp_revise";
    public static final String MAX_AMOUNT = "max_amount";
    public static final String TASK_BUDGET = "task_budget";
    public static final String TASK_BUDGET_TTL = "task_budget_ttl";
    public static final String NOTE = "note";
    /** Every input's element has this action id; the block id says which field it is. */
    public static final String VALUE = "value";
    public static final String DEFAULT_TTL = "72h";

    private static final ObjectMapper JSON = new ObjectMapper();

    private RevisionModal() {}

    /** Which approval the form answers, and where to reply to the user if the answer is refused. */
    public record Context(String approvalId, String channel) {}

    /** A valid submission, or the errors to show per block id. */
    public record Submission(Context context, ApprovalDecision decision, Map<String, String> errors) {
        public boolean valid() {
            return errors.isEmpty();
        }
    }

    public static View build(ApprovalCard card, String channel) {
        String taskBudget = card.budgets().stream().filter(b -> b.window().startsWith("task "))
                .map(b -> b.limit() + " (" + b.used() + " used)").findFirst().orElse("none");
        String summary = "*" + card.amount() + " " + card.currency().toUpperCase(Locale.ROOT) + "* to "
                + ApprovalBlocks.escape(card.sellerHost()) + " for " + ApprovalBlocks.escape(card.agent()) + ", task "
                + ApprovalBlocks.escape(card.task()) + "\nTask budget now: " + taskBudget
                + "\nSubmitting approves the payment with these changes.";
        ObjectNode metadata = JSON.createObjectNode().put("approval", card.approvalId()).put("channel", channel);
        return view(v -> v.type("modal")
                .callbackId(CALLBACK_ID)
                .privateMetadata(metadata.toString())
                .title(viewTitle(t -> t.type("plain_text").text("Revise payment")))
                .submit(viewSubmit(s -> s.type("plain_text").text("Approve")))
                .close(viewClose(c -> c.type("plain_text").text("Cancel")))
                .blocks(java.util.List.of(
                        section(s -> s.text(markdownText(ApprovalBlocks.limit(summary, 3000)))),
                        input(i -> i.blockId(MAX_AMOUNT).optional(true)
                                .label(plainText("Pay at most"))
                                .hint(plainText("Leave empty to pay what the seller asks (" + card.amount()
                                        + "). A lower amount is a counter-offer the seller must meet."))
                                .element(plainTextInput(p -> p.actionId(VALUE).placeholder(plainText(card.amount()))))),
                        input(i -> i.blockId(TASK_BUDGET).optional(true)
                                .label(plainText("New budget for task " + ApprovalBlocks.limit(card.task(), 1900)))
                                .hint(plainText("Leave empty to keep the budget; e.g. 800.00"))
                                .element(plainTextInput(p -> p.actionId(VALUE).placeholder(plainText("e.g. 800.00"))))),
                        input(i -> i.blockId(TASK_BUDGET_TTL).optional(true)
                                .label(plainText("New task budget valid for"))
                                .hint(plainText("30m, 72h, 7d; at most 90d"))
                                .element(plainTextInput(p -> p.actionId(VALUE).initialValue(DEFAULT_TTL)))),
                        input(i -> i.blockId(NOTE).optional(true)
                                .label(plainText("Note to the agent"))
                                .element(plainTextInput(p -> p.actionId(VALUE).multiline(true).maxLength(2000)))))));
    }

    /** Reads a {@code view_submission} payload's view; parsing and validation only, nothing is decided. */
    public static Submission parse(JsonNode view) {
        Context context;
        try {
            JsonNode meta = JSON.readTree(view.path("private_metadata").asText(""));
            context = new Context(meta.path("approval").asText(null), meta.path("channel").asText(null));
        } catch (Exception e) {
            context = new Context(null, null);
        }
        JsonNode values = view.path("state").path("values");
        String maxAmount = value(values, MAX_AMOUNT);
        String budget = value(values, TASK_BUDGET);
        String ttl = value(values, TASK_BUDGET_TTL);
        String note = value(values, NOTE);
        Map<String, String> errors = new LinkedHashMap<>();
        if (context.approvalId() == null) {
            errors.put(NOTE, "This form is no longer linked to an approval; click Revise on the card again.");
            return new Submission(context, null, errors);
        }
        if (budget == null && ttl != null && !ttl.equals(DEFAULT_TTL)) {
            errors.put(TASK_BUDGET, "Give the new task budget this validity is for, or leave both as they were.");
            return new Submission(context, null, errors);
        }
        ApprovalResource.DecisionBody body = new ApprovalResource.DecisionBody("approve", note, maxAmount,
                budget == null ? null : new ApprovalResource.TaskBudgetBody(budget, ttl == null ? DEFAULT_TTL : ttl), null);
        try {
            return new Submission(context, ApprovalResource.parse(body), errors);
        } catch (ApiProblem problem) {
            errors.put(blockOf(problem.detail()), problem.detail());
            return new Submission(context, null, errors);
        }
    }

    /** {@code {"response_action":"errors","errors":{block_id: message}}}: Slack shows them under the fields. */
    public static ObjectNode errorsResponse(Map<String, String> errors) {
        ObjectNode r = JSON.createObjectNode().put("response_action", "errors");
        ObjectNode e = r.putObject("errors");
        errors.forEach(e::put);
        return r;
    }

    /** ApprovalResource's messages start with the field they are about. */
    private static String blockOf(String detail) {
        String d = detail == null ? "" : detail;
        if (d.startsWith("max_amount")) return MAX_AMOUNT;
        if (d.startsWith("task_budget.ttl")) return TASK_BUDGET_TTL;
        if (d.startsWith("task_budget")) return TASK_BUDGET;
        return NOTE;
    }

    private static String value(JsonNode values, String block) {
        JsonNode v = values.path(block).path(VALUE).path("value");
        return v.isTextual() && !v.asText().isBlank() ? v.asText().strip() : null;
    }
}
