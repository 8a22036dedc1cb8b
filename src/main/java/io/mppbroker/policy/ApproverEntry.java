package io.mppbroker.policy;

import java.util.Optional;

/**
 * A human who may approve a project's payments; only the SHA-256 of the approver's token is stored.
 * {@code slackUser} (e.g. U0123ABC) and {@code telegramUser} (numeric user id, kept as its decimal string)
 * are the chat identities whose button presses count as this approver's answers.
 */
public record ApproverEntry(String id, String tokenSha256, Optional<String> slackUser, Optional<String> telegramUser) {
    public ApproverEntry {
        slackUser = slackUser == null ? Optional.empty() : slackUser;
        telegramUser = telegramUser == null ? Optional.empty() : telegramUser;
    }

    /** An approver who answers only on the dashboard (token). */
    public ApproverEntry(String id, String tokenSha256) {
        this(id, tokenSha256, Optional.empty(), Optional.empty());
    }
}
