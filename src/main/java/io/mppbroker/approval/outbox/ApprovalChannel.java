package io.mppbroker.approval.outbox;

import io.mppbroker.approval.ApprovalCard;

/**
 * A chat channel that shows approval cards to humans (Slack, Telegram). The outbox worker calls it with
 * retries; an implementation only has to post or update one message and say where it went.
 */
public interface ApprovalChannel {

    /** The name used in the outbox and in routes: "slack", "telegram". */
    String name();

    /** False when the channel has no credentials configured: its messages are skipped, not retried. */
    boolean configured();

    /**
     * Posts the card (ANNOUNCE) or updates the message posted earlier (UPDATE, {@code previousRef} from the
     * ANNOUNCE; null if the announcement never went out, then post the current state as a new message).
     *
     * @return the channel's reference of the posted or updated message (e.g. "C0FIN:1700000000.000100")
     * @throws ChannelUnavailable when the channel failed; the message is retried later
     */
    String deliver(OutboxMessage.Kind kind, String target, ApprovalCard card, String previousRef) throws ChannelUnavailable;

    class ChannelUnavailable extends Exception {
        private final java.time.Duration retryAfter;

        public ChannelUnavailable(String message, java.time.Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        /** What the channel asked for (Slack's and Telegram's 429 say it); null for the default backoff. */
        public java.time.Duration retryAfter() {
            return retryAfter;
        }
    }
}
