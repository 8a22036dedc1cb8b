package io.mppbroker.telegram;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.ApprovalResource;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The revise-by-reply syntax. After "Revise" the bot asks, with a forced reply, for
 * <pre>amount=&lt;max&gt; budget=&lt;task budget&gt; ttl=&lt;72h&gt; note=&lt;text&gt;</pre>
 * every part optional: {@code amount} caps this payment, {@code budget} is the task's new budget and {@code ttl}
 * how long it holds (default 72h), {@code note} takes the rest of the message. A leading {@code deny} denies with
 * the note instead. The answer goes through {@link ApprovalResource#parse}, so the API's rules apply.
 */
public final class RevisionReply {

    public static final String SYNTAX = "amount=<max> budget=<task budget> ttl=<72h> note=<text>";
    public static final String EXAMPLE = "budget=400.00 ttl=72h note=skip DE and FR";

    /** The prompt names the approval in its first line; only the bot writes prompts, so the id can be trusted. */
    private static final Pattern PROMPT = Pattern.compile("\\ARevise approval (apr_[A-Za-z0-9_-]{1,60})\\b");
    private static final Pattern PAIR = Pattern.compile("([A-Za-z_]+)=(\\S*)");

    private RevisionReply() {}

    public static String prompt(String approvalId, String summary) {
        return "Revise approval " + approvalId + " (" + summary + ").\n"
                + "Reply to this message with any of:\n"
                + SYNTAX + "\n"
                + "amount caps this payment, budget raises the task budget for ttl (default 72h), note is the rest of "
                + "the message. Start with \"deny\" to deny with a note instead.\n"
                + "Example: " + EXAMPLE;
    }

    public static Optional<String> approvalIdOfPrompt(String promptText) {
        if (promptText == null) {
            return Optional.empty();
        }
        Matcher m = PROMPT.matcher(promptText);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The reply as the API's decision body; 400 ApiProblem naming what is wrong. */
    public static ApprovalResource.DecisionBody parse(String reply) {
        String rest = reply == null ? "" : reply.strip();
        if (rest.isEmpty()) {
            // A sticker or photo sent as the reply must not approve anything.
            throw ApiProblem.badRequest("the reply has no text; write " + SYNTAX);
        }
        String decision = "approve";
        String first = rest.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        if (first.equals("deny") || first.equals("approve")) {
            decision = first;
            rest = rest.substring(first.length()).strip();
        }
        Map<String, String> values = new LinkedHashMap<>();
        String note = null;
        while (!rest.isEmpty()) {
            if (rest.regionMatches(true, 0, "note=", 0, 5)) {
                note = rest.substring(5).strip();
                break;
            }
            Matcher m = PAIR.matcher(rest);
            if (!m.lookingAt()) {
                throw ApiProblem.badRequest("cannot read \"" + rest.split("\\s+", 2)[0] + "\"; write " + SYNTAX);
            }
            String key = m.group(1).toLowerCase(Locale.ROOT);
            if (!key.equals("amount") && !key.equals("budget") && !key.equals("ttl")) {
                throw ApiProblem.badRequest("unknown \"" + key + "=\"; write " + SYNTAX);
            }
            if (values.put(key, m.group(2)) != null) {
                throw ApiProblem.badRequest(key + "= is given twice");
            }
            rest = rest.substring(m.end()).strip();
        }
        if (values.containsKey("ttl") && !values.containsKey("budget")) {
            throw ApiProblem.badRequest("ttl= goes with budget=: it is how long the new task budget holds");
        }
        ApprovalResource.TaskBudgetBody budget = values.containsKey("budget")
                ? new ApprovalResource.TaskBudgetBody(values.get("budget"), values.get("ttl")) : null;
        return new ApprovalResource.DecisionBody(decision, note == null || note.isEmpty() ? null : note,
                values.get("amount"), budget, null);
    }
}
