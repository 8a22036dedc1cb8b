package io.mppbroker.telegram;

import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.outbox.ApprovalChannel;
import io.mppbroker.approval.outbox.Outbox;
import io.mppbroker.approval.outbox.OutboxMessage;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.jboss.logging.Logger;
import org.telegram.telegrambots.meta.api.methods.ParseMode;
import org.telegram.telegrambots.meta.api.methods.send.SendMessage;
import org.telegram.telegrambots.meta.api.methods.updatingmessages.EditMessageText;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.exceptions.TelegramApiException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiRequestException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiValidationException;

/**
 * Posts approval cards to the Telegram chats a route names and edits them when the approval changes. Called by
 * the outbox worker, which retries: 429 (with Telegram's retry_after), 5xx and network failures come back as
 * {@link ApprovalChannel.ChannelUnavailable}. The ref is {@code "<chat_id>:<message_id>"}.
 */
@ApplicationScoped
public class TelegramChannel implements ApprovalChannel {

    private static final Logger LOG = Logger.getLogger(TelegramChannel.class);

    private final TelegramBot bot;

    public TelegramChannel(TelegramBot bot) {
        this.bot = bot;
    }

    @Override
    public String name() {
        return Outbox.TELEGRAM;
    }

    @Override
    public boolean configured() {
        return bot.configured();
    }

    @Override
    public String deliver(OutboxMessage.Kind kind, String target, ApprovalCard card, String previousRef)
            throws ChannelUnavailable {
        if (kind == OutboxMessage.Kind.UPDATE && previousRef != null) {
            MessageRef ref = MessageRef.parse(previousRef);
            try {
                bot.client().execute(EditMessageText.builder().chatId(ref.chatId()).messageId(ref.messageId())
                        .text(TelegramCardText.html(card)).parseMode(ParseMode.HTML)
                        .replyMarkup(TelegramCardText.keyboard(card)).build());
                return previousRef;
            } catch (TelegramApiRequestException e) {
                if (isNotModified(e)) {
                    return previousRef; // an update delivered twice (at-least-once): already showing this state
                }
                if (e.getErrorCode() != null && e.getErrorCode() == 400 && isGone(e)) {
                    LOG.warnf("Telegram card %s for approval %s cannot be edited (%s); posting the current state",
                            previousRef, card.approvalId(), e.getApiResponse());
                    return send(target, card);
                }
                throw failure("editMessageText", target, e);
            } catch (TelegramApiException e) {
                throw failure("editMessageText", target, e);
            }
        }
        return send(target, card);
    }

    private String send(String chatId, ApprovalCard card) throws ChannelUnavailable {
        try {
            Message m = bot.client().execute(SendMessage.builder().chatId(chatId)
                    .text(TelegramCardText.html(card)).parseMode(ParseMode.HTML)
                    .replyMarkup(TelegramCardText.keyboard(card)).build());
            return new MessageRef(m.getChatId(), m.getMessageId()).toString();
        } catch (TelegramApiException e) {
            throw failure("sendMessage", chatId, e);
        }
    }

    /** Rate limits, Telegram's own errors and the network are retried; a refusal (400/401/403) is a configuration error. */
    static ChannelUnavailable failure(String method, String chatId, TelegramApiException e) throws TelegramRefused {
        if (e instanceof TelegramApiValidationException) {
            throw new TelegramRefused(method + " to chat " + chatId + " is invalid: " + e.getMessage());
        }
        if (e instanceof TelegramApiRequestException r && r.getErrorCode() != null) {
            int code = r.getErrorCode();
            if (code == 429) {
                Integer retryAfter = r.getParameters() == null ? null : r.getParameters().getRetryAfter();
                return new ChannelUnavailable("Telegram rate limit on " + method + " (retry after " + retryAfter + " s)",
                        retryAfter == null ? null : Duration.ofSeconds(Math.max(1, retryAfter)));
            }
            if (code >= 500) {
                return new ChannelUnavailable("Telegram " + method + " failed: " + code + " " + r.getApiResponse(), null);
            }
            throw new TelegramRefused("Telegram refused " + method + " to chat " + chatId + ": " + code + " " + r.getApiResponse());
        }
        // No answer at all: connection refused, timeout. The cause says which; it never contains the token.
        Throwable cause = e.getCause() == null ? e : e.getCause();
        return new ChannelUnavailable("Telegram " + method + " unreachable: " + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), null);
    }

    private static boolean isNotModified(TelegramApiRequestException e) {
        return e.getApiResponse() != null && e.getApiResponse().contains("message is not modified");
    }

    private static boolean isGone(TelegramApiRequestException e) {
        String d = e.getApiResponse() == null ? "" : e.getApiResponse();
        return d.contains("message to edit not found") || d.contains("message can't be edited");
    }

    /** Telegram answered and said no, e.g. chat not found or bot blocked: retried by the outbox, logged as an error. */
    public static class TelegramRefused extends RuntimeException {
        public TelegramRefused(String message) {
            super(message);
        }
    }

    /** Where a card was posted: {@code "<chat_id>:<message_id>"}, chat ids of groups are negative. */
    record MessageRef(long chatId, int messageId) {
        static MessageRef parse(String ref) {
            int colon = ref.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("not a Telegram message ref: " + ref);
            }
            return new MessageRef(Long.parseLong(ref.substring(0, colon)), Integer.parseInt(ref.substring(colon + 1)));
        }

        @Override
        public String toString() {
            return chatId + ":" + messageId;
        }
    }
}
