package io.mppbroker.telegram;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.api.ProblemJson;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.telegram.telegrambots.meta.api.objects.Update;

/**
 * Telegram's webhook (set with {@code setWebhook ... secret_token}, see docs/telegram.md). Requests without the
 * configured secret in {@code X-Telegram-Bot-Api-Secret-Token} get 401 and change nothing. Every authenticated
 * request gets 200, whatever it contains: Telegram re-sends an update until it sees a 2xx, and a malformed or
 * failing update re-sent forever helps nobody; it is logged instead.
 */
@Path("/telegram/webhook")
@Blocking
@Tag(name = "Telegram", description = "Button presses and replies from the Telegram approval bot")
public class TelegramWebhookResource {

    public static final String SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

    private static final Logger LOG = Logger.getLogger(TelegramWebhookResource.class);
    // Telegram adds fields to Update over time; unknown ones must not make us drop a button press.
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Optional<byte[]> secretDigest;
    private final TelegramInteractions interactions;
    private final SeenUpdates seen;

    public TelegramWebhookResource(TelegramConfig config, TelegramInteractions interactions, SeenUpdates seen) {
        this.secretDigest = config.webhookSecret().filter(s -> !s.isBlank()).map(TelegramWebhookResource::sha256);
        this.interactions = interactions;
        this.seen = seen;
    }

    @POST
    @Operation(summary = "Telegram Bot API webhook", description = "Called by Telegram only; authenticated by the "
            + "X-Telegram-Bot-Api-Secret-Token header. 401 problem+json without it, otherwise always 200.")
    public Response webhook(@HeaderParam(SECRET_HEADER) String secret, String body) {
        if (!authentic(secret)) {
            return ProblemJson.response(ApiProblem.unauthorized(
                    "missing or wrong " + SECRET_HEADER + " (the secret_token given to setWebhook)"));
        }
        Update update;
        try {
            update = JSON.readValue(body == null ? "" : body, Update.class);
        } catch (Exception e) {
            LOG.warnf("Telegram webhook: ignored an update that is not a Telegram Update (%d bytes): %s",
                    body == null ? 0 : body.getBytes(StandardCharsets.UTF_8).length, e.getClass().getSimpleName());
            return Response.ok().build();
        }
        if (update == null || (update.getUpdateId() != null && !seen.firstDelivery(update.getUpdateId()))) {
            return Response.ok().build();
        }
        try {
            if (update.hasCallbackQuery()) {
                interactions.onCallback(update.getCallbackQuery());
            } else if (update.hasMessage()) {
                interactions.onMessage(update.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "Telegram webhook: update %s failed", update.getUpdateId());
        }
        return Response.ok().build();
    }

    /** Compares digests in constant time, so the response time does not reveal how much of a guess was right. */
    private boolean authentic(String given) {
        return secretDigest.isPresent() && given != null && MessageDigest.isEqual(secretDigest.get(), sha256(given));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
