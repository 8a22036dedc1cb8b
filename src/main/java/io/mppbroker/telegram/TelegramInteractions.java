package io.mppbroker.telegram;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.ApprovalAnswers;
import io.mppbroker.approval.ApprovalCards;
import io.mppbroker.approval.ApprovalDecision;
import io.mppbroker.approval.ApprovalResource;
import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.jboss.logging.Logger;
import org.telegram.telegrambots.meta.api.methods.AnswerCallbackQuery;
import org.telegram.telegrambots.meta.api.methods.botapimethods.BotApiMethod;
import org.telegram.telegrambots.meta.api.methods.send.SendMessage;
import org.telegram.telegrambots.meta.api.objects.CallbackQuery;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.ForceReplyKeyboard;
import org.telegram.telegrambots.meta.exceptions.TelegramApiException;

/**
 * What approvers do in Telegram: press Approve / Deny / Revise under a card, or reply to a revise prompt. The
 * presser's Telegram user id must belong to an approver of the approval's project; the answer then goes through
 * {@link ApprovalAnswers#decide} like every other channel, so the first answer wins and the others are told who
 * decided. The decision is made before the webhook returns; what the bot says back is sent afterwards so a slow
 * Bot API never delays the webhook.
 */
@ApplicationScoped
public class TelegramInteractions {

    private static final Logger LOG = Logger.getLogger(TelegramInteractions.class);
    public static final String VIA = "telegram";
    /** answerCallbackQuery text is limited to 200 characters. */
    private static final int MAX_CALLBACK_TEXT = 200;

    private final TelegramBot bot;
    private final PolicyRegistry policies;
    private final ApprovalAnswers answers;
    private final ApprovalCards cards;
    private final ManagedExecutor executor;

    public TelegramInteractions(TelegramBot bot, PolicyRegistry policies, ApprovalAnswers answers, ApprovalCards cards,
                                ManagedExecutor executor) {
        this.bot = bot;
        this.policies = policies;
        this.answers = answers;
        this.cards = cards;
        this.executor = executor;
    }

    public void onCallback(CallbackQuery q) {
        Optional<CallbackData> parsed = CallbackData.parse(q.getData());
        if (parsed.isEmpty() || q.getFrom() == null) {
            LOG.infof("Telegram callback query with unknown data ignored");
            answer(q.getId(), "This button is not one the broker knows.", false);
            return;
        }
        CallbackData data = parsed.get();
        Approval approval = QuarkusTransaction.requiringNew().call(() -> Approval.<Approval>findById(data.approvalId()));
        if (approval == null) {
            answer(q.getId(), "This approval no longer exists.", true);
            return;
        }
        String telegramUser = String.valueOf(q.getFrom().getId());
        Optional<ApproverIdentity> approver = policies.approverByTelegramUser(telegramUser)
                .filter(a -> a.mayApprove(approval.project));
        if (approver.isEmpty()) {
            LOG.infof("Telegram user %s pressed %s on approval %s but is not an approver of project %s",
                    telegramUser, data.action(), approval.id, approval.project);
            answer(q.getId(), "You are not an approver of project " + approval.project
                    + ", so your answer does not count. Ask the project's owner to add your Telegram user id ("
                    + telegramUser + ") to an approver.", true);
            return;
        }
        switch (data.action()) {
            case APPROVE -> answer(q.getId(), decide(approver.get(), approval.id, ApprovalDecision.approve(null)));
            case DENY -> answer(q.getId(), decide(approver.get(), approval.id, ApprovalDecision.deny(null)));
            case REVISE -> revise(q, approver.get(), approval);
        }
    }

    private void answer(String callbackQueryId, Result result) {
        answer(callbackQueryId, result.text(), result.refused());
    }

    /** A reply to one of our revise prompts decides with the revisions it states; any other message is not for us. */
    public void onMessage(Message m) {
        Message prompt = m.getReplyToMessage();
        if (prompt == null || prompt.getFrom() == null || prompt.getFrom().getId() == null
                || prompt.getFrom().getId() != bot.botId() || m.getFrom() == null) {
            return;
        }
        Optional<String> approvalId = RevisionReply.approvalIdOfPrompt(prompt.getText())
                .or(() -> NarrowReply.approvalIdOfPrompt(prompt.getText()));
        if (approvalId.isEmpty()) {
            return;
        }
        String telegramUser = String.valueOf(m.getFrom().getId());
        Approval approval = QuarkusTransaction.requiringNew().call(() -> Approval.<Approval>findById(approvalId.get()));
        if (approval == null) {
            reply(m, "Approval " + approvalId.get() + " no longer exists.");
            return;
        }
        Optional<ApproverIdentity> approver = policies.approverByTelegramUser(telegramUser)
                .filter(a -> a.mayApprove(approval.project));
        if (approver.isEmpty()) {
            LOG.infof("Telegram user %s replied to the revise prompt of approval %s but is not an approver of project %s",
                    telegramUser, approval.id, approval.project);
            reply(m, "You are not an approver of project " + approval.project + "; nothing was decided.");
            return;
        }
        ApprovalDecision decision;
        boolean access = approval.isAboutAccess();
        try {
            decision = ApprovalResource.parse(access ? NarrowReply.parse(m.getText()) : RevisionReply.parse(m.getText()));
        } catch (ApiProblem e) {
            reply(m, "Not applied: " + e.detail() + ".\nReply to the prompt with "
                    + (access ? NarrowReply.SYNTAX + ", e.g. " + NarrowReply.EXAMPLE : RevisionReply.SYNTAX + ", e.g. " + RevisionReply.EXAMPLE));
            return;
        }
        Result result = decide(approver.get(), approval.id, decision);
        reply(m, result.text() + (result.refused() ? "" : revisionSummary(decision)));
    }

    private void revise(CallbackQuery q, ApproverIdentity approver, Approval approval) {
        if (approval.status != Approval.Status.PENDING) {
            answer(q.getId(), alreadyDecided(approval.status.name(), approval.decidedBy, approval.decidedVia), false);
            return;
        }
        ApprovalCard card = cards.build(approval.id);
        Long chatId = q.getMessage() != null ? q.getMessage().getChatId() : q.getFrom().getId();
        if (card.isAboutAccess()) {
            narrow(q, card, chatId);
            return;
        }
        SendMessage.SendMessageBuilder<?, ?> prompt = SendMessage.builder().chatId(chatId)
                .text(RevisionReply.prompt(approval.id, card.amount() + " " + card.currency().toUpperCase(Locale.ROOT)
                        + " to " + card.sellerHost() + ", task " + TelegramCardText.cap(card.task(), 200)))
                .replyMarkup(ForceReplyKeyboard.builder().forceReply(true).selective(false)
                        .inputFieldPlaceholder(TelegramCardText.cap(RevisionReply.EXAMPLE, 64)).build());
        if (q.getMessage() != null) {
            prompt.replyToMessageId(q.getMessage().getMessageId());
        }
        LOG.debugf("%s asked to revise approval %s on Telegram", approver.approverId(), approval.id);
        answer(q.getId(), "Reply to the prompt below with " + RevisionReply.SYNTAX, false);
        send(prompt.build());
    }

    private void narrow(CallbackQuery q, ApprovalCard card, Long chatId) {
        ApprovalCard.AccessCard a = card.access();
        SendMessage.SendMessageBuilder<?, ?> prompt = SendMessage.builder().chatId(chatId)
                .text(NarrowReply.prompt(card.approvalId(), TelegramCardText.cap(String.join(", ", a.actions()), 300)
                        + " on " + TelegramCardText.cap(a.resource() == null ? "any resource" : a.resource(), 300)
                        + " for " + a.ttl() + ", agent " + TelegramCardText.cap(card.agent(), 100)))
                .replyMarkup(ForceReplyKeyboard.builder().forceReply(true).selective(false)
                        .inputFieldPlaceholder(TelegramCardText.cap(NarrowReply.EXAMPLE, 64)).build());
        if (q.getMessage() != null) {
            prompt.replyToMessageId(q.getMessage().getMessageId());
        }
        answer(q.getId(), "Reply to the prompt below with " + NarrowReply.SYNTAX, false);
        send(prompt.build());
    }

    /** What the approver is told; {@code refused} answers show as an alert the presser has to dismiss. */
    record Result(String text, boolean refused) {}

    /** Decides and says how it went, in the words the approver will read. */
    private Result decide(ApproverIdentity approver, String approvalId, ApprovalDecision decision) {
        try {
            ApprovalAnswers.Answer answer = answers.decide(approver, approvalId, decision, VIA);
            return new Result(switch (answer.outcome()) {
                case APPROVED -> "Approved";
                case DENIED -> "Denied";
                case VOTE_RECORDED -> {
                    ApprovalCard card = cards.build(approvalId);
                    yield "Your approval is recorded: " + card.approvedSoFar().size() + " of " + card.requiredApprovals()
                            + " approvals";
                }
            }, false);
        } catch (ApiProblem e) {
            if ("approval-already-decided".equals(e.code())) {
                return new Result(alreadyDecided((String) e.extensions().get("approval_status"),
                        (String) e.extensions().get("decided_by"), (String) e.extensions().get("decided_via")), false);
            }
            if ("already-voted".equals(e.code())) {
                return new Result("You already answered this approval.", false);
            }
            // not-asked-yet, separation-of-duties, a project without a valid policy: the answer does not count.
            return new Result("Not counted: " + e.detail(), true);
        }
    }

    /** "Already approved by fin-lead via slack": the loser of a race learns who won, and where. */
    static String alreadyDecided(String status, String decidedBy, String decidedVia) {
        String s = status == null ? "decided" : status.toLowerCase(Locale.ROOT);
        return switch (s) {
            case "expired" -> "Already expired: nobody answered in time.";
            case "withdrawn" -> "Already withdrawn by the agent.";
            case "superseded" -> "Already superseded by a newer request.";
            default -> "Already " + s + (decidedBy == null ? "" : " by " + decidedBy)
                    + (decidedVia == null ? "" : " via " + decidedVia);
        };
    }

    private static String revisionSummary(ApprovalDecision d) {
        StringBuilder s = new StringBuilder();
        if (d.narrowing() != null && d.narrowing().ttl() != null) {
            s.append("\nGranted for ").append(io.mppbroker.api.Durations.format(d.narrowing().ttl()));
        }
        if (d.narrowing() != null && d.narrowing().actions() != null) {
            s.append("\nActions: ").append(String.join(", ", d.narrowing().actions()));
        }
        if (d.maxAmount() != null) {
            s.append("\nThis payment capped at ").append(d.maxAmount().toPlainString());
        }
        if (d.taskBudget() != null) {
            s.append("\nTask budget ").append(d.taskBudget().amount().toPlainString()).append(" for ")
                    .append(d.taskBudget().ttl().toString().substring(2).toLowerCase(Locale.ROOT));
        }
        if (d.note() != null) {
            s.append("\nNote: ").append(d.note());
        }
        return s.toString();
    }

    private void answer(String callbackQueryId, String text, boolean alert) {
        send(AnswerCallbackQuery.builder().callbackQueryId(callbackQueryId)
                .text(TelegramCardText.cap(text, MAX_CALLBACK_TEXT)).showAlert(alert).build());
    }

    private void reply(Message to, String text) {
        send(SendMessage.builder().chatId(to.getChatId()).replyToMessageId(to.getMessageId())
                .text(TelegramCardText.cap(text, 4000)).build());
    }

    /** Best effort and after the webhook answered: the decision is already stored; a lost reply is only a lost notice. */
    private void send(BotApiMethod<?> method) {
        executor.runAsync(() -> {
            try {
                bot.client().execute(method);
            } catch (TelegramApiException e) {
                LOG.warnf("Telegram %s failed: %s", method.getMethod(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.errorf(e, "Telegram %s failed", method.getMethod());
            }
        });
    }
}
