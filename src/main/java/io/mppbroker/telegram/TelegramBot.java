package io.mppbroker.telegram;

import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.telegram.telegrambots.client.okhttp.OkHttpTelegramClient;
import org.telegram.telegrambots.meta.TelegramUrl;
import org.telegram.telegrambots.meta.generics.TelegramClient;

/** The configured bot: a Bot API client pointed at {@code broker.telegram.api-base}, and the bot's own user id. */
@ApplicationScoped
public class TelegramBot {

    private static final Pattern TOKEN = Pattern.compile("([0-9]{1,20}):[A-Za-z0-9_-]{20,}");

    private final TelegramClient client;
    private final long botId;

    public TelegramBot(TelegramConfig config) {
        if (config.botToken().isEmpty() || config.botToken().get().isBlank()) {
            this.client = null;
            this.botId = -1;
            return;
        }
        String token = config.botToken().get().strip();
        Matcher m = TOKEN.matcher(token);
        if (!m.matches()) {
            // The message must not echo the token.
            throw new IllegalArgumentException("broker.telegram.bot-token does not look like a bot token (123456789:AA...)");
        }
        this.botId = Long.parseLong(m.group(1));
        this.client = new OkHttpTelegramClient(token, telegramUrl(config.apiBase()));
    }

    /** TelegramUrl has scheme, host and port only: an api-base with a path cannot be served. */
    static TelegramUrl telegramUrl(String apiBase) {
        URI uri = URI.create(apiBase.strip());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
            throw new IllegalArgumentException("broker.telegram.api-base must be an http(s) URL such as https://api.telegram.org");
        }
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
            throw new IllegalArgumentException("broker.telegram.api-base must not have a path: " + apiBase);
        }
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return TelegramUrl.builder().schema(scheme).host(uri.getHost()).port(port).build();
    }

    public boolean configured() {
        return client != null;
    }

    public TelegramClient client() {
        if (client == null) {
            throw new IllegalStateException("Telegram is not configured (broker.telegram.bot-token)");
        }
        return client;
    }

    /** The bot's user id (the digits before the colon of its token): messages from it are ours. */
    public long botId() {
        return botId;
    }
}
