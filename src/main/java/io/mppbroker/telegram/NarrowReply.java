package io.mppbroker.telegram;

import io.mppbroker.approval.ApprovalResource;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

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

    private NarrowReply() {}

    public static String prompt(String approvalId, String summary) {
        return ReplySyntax.prompt("Narrow", approvalId, summary, SYNTAX, "ttl shortens the grant, actions keeps only some "
                + "of the requested actions (comma-separated), note is the rest of the message. Nothing can be widened.", EXAMPLE);
    }

    public static Optional<String> approvalIdOfPrompt(String promptText) {
        return ReplySyntax.approvalIdOfPrompt("Narrow", promptText);
    }

    public static ApprovalResource.DecisionBody parse(String reply) {
        ReplySyntax r = ReplySyntax.parse(reply, Set.of("ttl", "actions"), SYNTAX);
        String actions = r.values().get("actions");
        return new ApprovalResource.DecisionBody(r.decision(), r.note(), null, null, null, r.values().get("ttl"),
                actions == null ? null : Arrays.stream(actions.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
    }
}
