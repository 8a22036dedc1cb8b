package io.mppbroker.slack;

import com.slack.api.methods.response.chat.ChatPostMessageResponse;
import com.slack.api.methods.response.chat.ChatUpdateResponse;
import com.slack.api.model.block.LayoutBlock;
import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.outbox.ApprovalChannel;
import io.mppbroker.approval.outbox.Outbox;
import io.mppbroker.approval.outbox.OutboxMessage;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Posts approval cards to Slack (chat.postMessage to the route's channel or to a user, whose DM Slack opens)
 * and updates them after a decision (chat.update). The reference kept in the outbox is
 * {@code <conversation id>:<message ts>}, what chat.update needs.
 * <p>
 * Every failure is retried by the outbox: transport trouble (no connection, 429 with its Retry-After, 5xx)
 * and also Slack's method errors such as {@code channel_not_found}, {@code not_in_channel} or
 * {@code invalid_auth}, because an admin fixes those without restarting the broker (invite the bot, rotate
 * the token) and the card should then still go out; each is logged with what to fix. The outbox gives up
 * after {@code broker.outbox.max-attempts}; the approval stays decidable on the dashboard and the API.
 */
@ApplicationScoped
public class SlackChannel implements ApprovalChannel {

    private static final Logger LOG = Logger.getLogger(SlackChannel.class);

    /** What an admin should do about Slack's method errors that retrying alone does not fix. */
    private static final Map<String, String> FIXES = Map.of(
            "channel_not_found", "check the route's slack.channel id and that the bot can see it",
            "not_in_channel", "invite the bot to the channel (/invite @your-app)",
            "is_archived", "the channel or user is archived; change the route",
            "invalid_auth", "broker.slack.bot-token is not valid for this workspace",
            "not_authed", "broker.slack.bot-token is missing",
            "account_inactive", "the app was uninstalled or the token revoked",
            "token_revoked", "the app was uninstalled or the token revoked",
            "missing_scope", "the app needs the chat:write scope",
            "invalid_blocks", "the card was refused by Slack's Block Kit validation (a broker bug)");

    private final SlackApi slack;

    public SlackChannel(SlackApi slack) {
        this.slack = slack;
    }

    @Override
    public String name() {
        return Outbox.SLACK;
    }

    @Override
    public boolean configured() {
        return slack.configured();
    }

    @Override
    public String deliver(OutboxMessage.Kind kind, String target, ApprovalCard card, String previousRef)
            throws ChannelUnavailable {
        List<LayoutBlock> blocks = ApprovalBlocks.card(card);
        String text = ApprovalBlocks.text(card);
        if (kind == OutboxMessage.Kind.UPDATE && previousRef != null) {
            MessageRef ref = MessageRef.parse(previousRef);
            ChatUpdateResponse updated = slack.call("chat.update", m -> m.chatUpdate(r -> r
                    .channel(ref.channel()).ts(ref.ts()).text(text).blocks(blocks)));
            if (updated.isOk()) {
                return previousRef;
            }
            if (!"message_not_found".equals(updated.getError()) && !"cant_update_message".equals(updated.getError())) {
                throw failed("chat.update", ref.channel(), updated.getError());
            }
            // the card was deleted in Slack: post the current state as a new message
        }
        ChatPostMessageResponse posted = slack.call("chat.postMessage", m -> m.chatPostMessage(r -> r
                .channel(target).text(text).blocks(blocks).unfurlLinks(false).unfurlMedia(false)));
        if (!posted.isOk()) {
            throw failed("chat.postMessage", target, posted.getError());
        }
        return new MessageRef(posted.getChannel(), posted.getTs()).toString();
    }

    private static ChannelUnavailable failed(String method, String target, String error) {
        String fix = FIXES.get(error);
        String message = "slack " + method + " to " + target + " failed: " + error + (fix == null ? "" : " (" + fix + ")");
        LOG.warn(message + "; will retry");
        return new ChannelUnavailable(message, null);
    }

    /** Where a card is in Slack: conversation id (C..., G..., D...) and message ts. */
    public record MessageRef(String channel, String ts) {
        public static MessageRef parse(String ref) {
            int colon = ref.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("not a Slack message reference: " + ref);
            }
            return new MessageRef(ref.substring(0, colon), ref.substring(colon + 1));
        }

        @Override
        public String toString() {
            return channel + ":" + ts;
        }
    }
}
