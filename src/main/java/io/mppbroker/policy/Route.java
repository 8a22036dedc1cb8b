package io.mppbroker.policy;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One escalation step: which approvers are asked, where the question is posted, and how long to wait for
 * enough answers before the next route is asked (or, on the last route, {@code routing.on_final_timeout}).
 * {@code slackChannel} is a channel id (C..., G...; D... for a direct-message channel), {@code slackUsers}
 * are Slack user ids messaged directly, {@code telegramChats} are Telegram chat ids (negative for groups).
 */
public record Route(List<String> approvers, Optional<String> slackChannel, List<String> slackUsers,
                    List<String> telegramChats, boolean dashboard, Duration timeout) {
    /** Timeout of a route that does not name one, and of the built-in route. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(24);

    public Route {
        approvers = List.copyOf(approvers);
        if (approvers.isEmpty()) throw new IllegalArgumentException("a route needs at least one approver");
        if (new LinkedHashSet<>(approvers).size() != approvers.size()) {
            throw new IllegalArgumentException("a route lists an approver twice: " + approvers);
        }
        slackChannel = slackChannel == null ? Optional.empty() : slackChannel;
        slackUsers = List.copyOf(slackUsers);
        telegramChats = List.copyOf(telegramChats);
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }

    /** Every approver of the file, on the dashboard only, waiting 24h: what is asked when nothing is configured. */
    public static Route builtIn(List<String> approverIds) {
        return new Route(approverIds, Optional.empty(), List.of(), List.of(), true, DEFAULT_TIMEOUT);
    }

    public boolean usesSlack() {
        return slackChannel.isPresent() || !slackUsers.isEmpty();
    }

    public boolean usesTelegram() {
        return !telegramChats.isEmpty();
    }
}
