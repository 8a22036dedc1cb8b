package io.mppbroker.telegram;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.ApprovalResource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The narrow-by-reply syntax for access requests. After "Narrow" the bot asks, with a forced reply, for
 * <pre>ttl=&lt;2h&gt; actions=&lt;a,b&gt; note=&lt;text&gt;</pre>
 * every part optional: {@code ttl} shortens the grant (never beyond what was asked), {@code actions} keeps only
 * these of the requested actions, {@code note} takes the rest of the message. A leading {@code deny} denies with
 * the note instead. The answer goes through {@link ApprovalResource#parse}, so the API's rules apply.
 */
public final class NarrowReply {

    public static final String SYNTAX = "ttl=<2h> actions=<a,b> note=<text>";
    public static final String EXAMPLE = "ttl=2h note=only for the month-end run";

    private static final Pattern PROMPT = Pattern.compile("\\ANarrow approval (apr_[A-Za-z0-9_-]{1,60})\\b");
    private static final Pattern PAIR = Pattern.compile("([A-Za-z_]+)=(\\S*)");

    private NarrowReply() {}

    public static String prompt(String approvalId, String summary) {
        return "Narrow approval " + approvalId + " (" + summary + ").\n"
                + "Reply to this message with any of:\n"
                + SYNTAX + "\n"
                + "ttl shortens the grant, actions keeps only some of the requested actions (comma-separated), note is the "
                + "rest of the message. Nothing can be widened. Start with \"deny\" to deny with a note instead.\n"
                + "Example: " + EXAMPLE;
    }

    public static Optional<String> approvalIdOfPrompt(String promptText) {
        if (promptText == null) {
            return Optional.empty();
        }
        Matcher m = PROMPT.matcher(promptText);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    public static ApprovalResource.DecisionBody parse(String reply) {
        String rest = reply == null ? "" : reply.strip();
        if (rest.isEmpty()) {
            throw ApiProblem.badRequest("the reply has no text; write " + SYNTAX);
        }
        String decision = "approve";
        String first = rest.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        if (first.equals("deny") || first.equals("approve")) {
            decision = first;
            rest = rest.substring(first.length()).strip();
        }
        String ttl = null;
        List<String> actions = null;
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
            switch (key) {
                case "ttl" -> {
                    if (ttl != null) throw ApiProblem.badRequest("ttl= is given twice");
                    ttl = m.group(2);
                }
                case "actions" -> {
                    if (actions != null) throw ApiProblem.badRequest("actions= is given twice");
                    actions = new ArrayList<>(Arrays.stream(m.group(2).split(",")).map(String::strip)
                            .filter(s -> !s.isEmpty()).toList());
                }
                default -> throw ApiProblem.badRequest("unknown \"" + key + "=\"; write " + SYNTAX);
            }
            rest = rest.substring(m.end()).strip();
        }
        return new ApprovalResource.DecisionBody(decision, note == null || note.isEmpty() ? null : note, null, null, null,
                ttl, actions);
    }
}
