package io.mppbroker.slack;

import com.slack.api.methods.response.chat.ChatPostEphemeralResponse;
import com.slack.api.methods.response.views.ViewsOpenResponse;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.ApprovalAnswers;
import io.mppbroker.approval.ApprovalCards;
import io.mppbroker.approval.ApprovalDecision;
import io.mppbroker.approval.ApprovalService;
import io.mppbroker.approval.outbox.ApprovalChannel.ChannelUnavailable;
import io.mppbroker.approval.outbox.Outbox;
import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Locale;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * What a click in Slack does, after the interactivity endpoint has acknowledged it. The Slack user is mapped
 * to an approver ({@code approvers[].slack_user}); the answer goes through {@link ApprovalAnswers#decide}
 * like every other channel's, so the first answer wins everywhere. The card itself is updated by the outbox
 * (the decision queues the update); a refused answer is told to that user only, with an ephemeral message
 * in the channel of the card.
 */
@ApplicationScoped
public class SlackAnswers {

    private static final Logger LOG = Logger.getLogger(SlackAnswers.class);

    private final PolicyRegistry policies;
    private final ApprovalAnswers answers;
    private final ApprovalCards cards;
    private final SlackApi slack;

    public SlackAnswers(PolicyRegistry policies, ApprovalAnswers answers, ApprovalCards cards, SlackApi slack) {
        this.policies = policies;
        this.answers = answers;
        this.cards = cards;
        this.slack = slack;
    }

    /** Approve or Deny on the card. */
    public void button(String slackUser, String channel, String approvalId, ApprovalDecision decision) {
        Optional<ApproverIdentity> approver = approverFor(slackUser, channel, approvalId);
        if (approver.isEmpty()) {
            return;
        }
        try {
            ApprovalAnswers.Answer answer = answers.decide(approver.get(), approvalId, decision, Outbox.SLACK);
            LOG.infof("approval %s: %s answered %s via slack (%s)", approvalId, approver.get().approverId(),
                    decision.verdict().name().toLowerCase(Locale.ROOT), answer.outcome().name().toLowerCase(Locale.ROOT));
            if (answer.outcome() == ApprovalService.Outcome.VOTE_RECORDED) {
                Approval a = approval(approvalId).orElseThrow();
                tell(channel, slackUser, "Your approval of " + approvalId + " is recorded; it needs "
                        + a.requiredApprovals + " distinct approvals before the payment is made.");
            }
        } catch (ApiProblem problem) {
            tell(channel, slackUser, refusal(problem, approvalId));
        }
    }

    /** Revise on the card: the form, if this user may answer and the approval is still open. */
    public void revise(String slackUser, String channel, String approvalId, String triggerId) {
        Optional<ApproverIdentity> approver = approverFor(slackUser, channel, approvalId);
        if (approver.isEmpty()) {
            return;
        }
        ApprovalCard card = cards.build(approvalId);
        if (!card.isPending()) {
            tell(channel, slackUser, alreadyDecided(card.status(), card.decidedBy(), card.decidedVia(), card.decidedAt()));
            return;
        }
        try {
            ViewsOpenResponse opened = slack.call("views.open", m -> m.viewsOpen(r -> r
                    .triggerId(triggerId).view(card.isAboutAccess() ? NarrowModal.build(card, channel)
                            : RevisionModal.build(card, channel))));
            if (!opened.isOk()) {
                LOG.warnf("approval %s: slack views.open failed: %s", approvalId, opened.getError());
                tell(channel, slackUser, "Slack did not open the revision form (" + opened.getError()
                        + "); click Revise again.");
            }
        } catch (ChannelUnavailable e) {
            LOG.warnf("approval %s: %s", approvalId, e.getMessage());
        }
    }

    /** The revision form was submitted (and already validated). */
    public void revision(String slackUser, RevisionModal.Submission submission) {
        button(slackUser, submission.context().channel(), submission.context().approvalId(), submission.decision());
    }

    /** The approver this Slack user is, if they may answer for the approval's project; otherwise tells them why not. */
    private Optional<ApproverIdentity> approverFor(String slackUser, String channel, String approvalId) {
        Optional<Approval> approval = approval(approvalId);
        if (approval.isEmpty()) {
            tell(channel, slackUser, "There is no approval " + approvalId + " (any more).");
            return Optional.empty();
        }
        String project = approval.get().project;
        Optional<ApproverIdentity> approver = policies.approverBySlackUser(slackUser);
        if (approver.isEmpty() || !approver.get().mayApprove(project)) {
            LOG.infof("approval %s: slack user %s is not an approver of project %s", approvalId, slackUser, project);
            tell(channel, slackUser, "You are not an approver of project " + project
                    + ", so your answer was not counted. (Approvers are listed with their Slack member id, "
                    + "approvers[].slack_user, in the project's policy file.)");
            return Optional.empty();
        }
        return approver;
    }

    private String refusal(ApiProblem problem, String approvalId) {
        Object status = problem.extensions().get("approval_status");
        if (status != null) {
            return alreadyDecided(status.toString(), (String) problem.extensions().get("decided_by"),
                    (String) problem.extensions().get("decided_via"), (String) problem.extensions().get("decided_at"));
        }
        if ("already-voted".equals(problem.code())) {
            // a double click: if the first one decided, say who did (that may be this user)
            Optional<Approval> a = approval(approvalId);
            if (a.isPresent() && !a.get().isPending()) {
                Approval x = a.get();
                return alreadyDecided(x.status.name().toLowerCase(Locale.ROOT), x.decidedBy, x.decidedVia,
                        x.decidedAt == null ? null : x.decidedAt.toString());
            }
            return "You already answered " + approvalId + "; it is waiting for the other approvals.";
        }
        return "Your answer was not accepted: " + problem.detail();
    }

    static String alreadyDecided(String status, String by, String via, String at) {
        String when = at == null ? "" : " at " + at;
        return switch (status) {
            case "approved", "denied" -> "Already " + status + " by " + by + " via " + via + when + ".";
            case "expired" -> "This approval expired" + when + ": nobody decided in time.";
            case "withdrawn" -> "The agent withdrew this request" + when + ".";
            case "superseded" -> "This request was superseded by a newer one" + when + ".";
            default -> "This approval is already " + status + when + ".";
        };
    }

    private static Optional<Approval> approval(String approvalId) {
        if (approvalId == null) {
            return Optional.empty();
        }
        return QuarkusTransaction.requiringNew().call(() -> Optional.ofNullable(Approval.<Approval>findById(approvalId)));
    }

    /** An ephemeral message: only this user sees it, in the conversation of the card. */
    private void tell(String channel, String slackUser, String text) {
        if (channel == null || slackUser == null) {
            LOG.warnf("cannot tell slack user %s: %s", slackUser, text);
            return;
        }
        try {
            ChatPostEphemeralResponse r = slack.call("chat.postEphemeral", m -> m.chatPostEphemeral(q -> q
                    .channel(channel).user(slackUser).text(text)));
            if (!r.isOk()) {
                LOG.warnf("slack chat.postEphemeral to %s in %s failed: %s", slackUser, channel, r.getError());
            }
        } catch (ChannelUnavailable e) {
            LOG.warnf("could not tell slack user %s in %s: %s", slackUser, channel, e.getMessage());
        }
    }
}
