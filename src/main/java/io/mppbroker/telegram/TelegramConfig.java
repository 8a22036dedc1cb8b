package io.mppbroker.telegram;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** The Telegram bot that posts approval cards and receives button presses and replies (docs/telegram.md). */
@ConfigMapping(prefix = "broker.telegram")
public interface TelegramConfig {

    /** Bot API root (scheme, host, port; no path); a local fake in tests. */
    @WithDefault("https://api.telegram.org")
    String apiBase();

    /** The token BotFather gave (123456789:AA...). Without it the channel is off. Never logged. */
    Optional<String> botToken();

    /**
     * The {@code secret_token} given to setWebhook; Telegram sends it in {@code X-Telegram-Bot-Api-Secret-Token}.
     * Without it every webhook call is refused. Never logged.
     */
    Optional<String> webhookSecret();
}
