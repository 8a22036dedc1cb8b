package io.mppbroker.telegram;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.ApprovalResource;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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

    private RevisionReply() {}

    public static String prompt(String approvalId, String summary) {
        return ReplySyntax.prompt("Revise", approvalId, summary, SYNTAX, "amount caps this payment, budget raises the task "
                + "budget for ttl (default 72h), note is the rest of the message.", EXAMPLE);
    }

    public static Optional<String> approvalIdOfPrompt(String promptText) {
        return ReplySyntax.approvalIdOfPrompt("Revise", promptText);
    }

    /** The reply as the API's decision body; 400 ApiProblem naming what is wrong. */
    public static ApprovalResource.DecisionBody parse(String reply) {
        ReplySyntax r = ReplySyntax.parse(reply, Set.of("amount", "budget", "ttl"), SYNTAX);
        Map<String, String> values = r.values();
        if (values.containsKey("ttl") && !values.containsKey("budget")) {
            throw ApiProblem.badRequest("ttl= goes with budget=: it is how long the new task budget holds");
        }
        ApprovalResource.TaskBudgetBody budget = values.containsKey("budget")
                ? new ApprovalResource.TaskBudgetBody(values.get("budget"), values.get("ttl")) : null;
        return new ApprovalResource.DecisionBody(r.decision(), r.note(), values.get("amount"), budget, null);
    }
}
