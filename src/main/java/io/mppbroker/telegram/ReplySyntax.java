package io.mppbroker.telegram;

import io.mppbroker.api.ApiProblem;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What revise and narrow replies share: an optional leading {@code deny}/{@code approve}, then {@code key=value}
 * pairs from a fixed set, then {@code note=} taking the rest of the message. Errors are 400 ApiProblems that
 * end with the syntax to use.
 */
record ReplySyntax(String decision, Map<String, String> values, String note) {

    private static final Pattern PAIR = Pattern.compile("([A-Za-z_]+)=(\\S*)");

    /**
     * The forced-reply prompt: "{@code <Verb> approval <id> (<summary>).}" first, so a reply can be traced back to its
     * approval. Only the bot writes prompts, so the id read back from one can be trusted.
     */
    static String prompt(String verb, String approvalId, String summary, String syntax, String meaning, String example) {
        return verb + " approval " + approvalId + " (" + summary + ").\n"
                + "Reply to this message with any of:\n"
                + syntax + "\n"
                + meaning + " Start with \"deny\" to deny with a note instead.\n"
                + "Example: " + example;
    }

    static Optional<String> approvalIdOfPrompt(String verb, String promptText) {
        if (promptText == null) {
            return Optional.empty();
        }
        Matcher m = Pattern.compile("\\A" + verb + " approval (apr_[A-Za-z0-9_-]{1,60})\\b").matcher(promptText);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    static ReplySyntax parse(String reply, Set<String> keys, String syntax) {
        String rest = reply == null ? "" : reply.strip();
        if (rest.isEmpty()) {
            // A sticker or photo sent as the reply must not approve anything.
            throw ApiProblem.badRequest("the reply has no text; write " + syntax);
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
                throw ApiProblem.badRequest("cannot read \"" + rest.split("\\s+", 2)[0] + "\"; write " + syntax);
            }
            String key = m.group(1).toLowerCase(Locale.ROOT);
            if (!keys.contains(key)) {
                throw ApiProblem.badRequest("unknown \"" + key + "=\"; write " + syntax);
            }
            if (values.put(key, m.group(2)) != null) {
                throw ApiProblem.badRequest(key + "= is given twice");
            }
            rest = rest.substring(m.end()).strip();
        }
        return new ReplySyntax(decision, values, note == null || note.isEmpty() ? null : note);
    }
}
