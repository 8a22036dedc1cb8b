package io.mppbroker.telegram;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an inline button carries back: {@code "a:<approvalId>"} approve, {@code "d:..."} deny, {@code "r:..."}
 * revise. Telegram allows 1-64 bytes of callback_data, so only the action and the approval id travel; who pressed
 * is taken from the update, never from the data.
 */
public record CallbackData(Action action, String approvalId) {

    public static final int MAX_BYTES = 64;
    private static final Pattern FORMAT = Pattern.compile("([adr]):(apr_[A-Za-z0-9_-]{1,60})");

    public enum Action {
        APPROVE("a"), DENY("d"), REVISE("r");

        final String code;

        Action(String code) {
            this.code = code;
        }
    }

    public CallbackData {
        if (encode(action, approvalId).getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new IllegalArgumentException("callback_data for approval " + approvalId + " exceeds " + MAX_BYTES + " bytes");
        }
    }

    public String encode() {
        return encode(action, approvalId);
    }

    private static String encode(Action action, String approvalId) {
        return action.code + ":" + approvalId;
    }

    public static Optional<CallbackData> parse(String data) {
        if (data == null) {
            return Optional.empty();
        }
        Matcher m = FORMAT.matcher(data);
        if (!m.matches()) {
            return Optional.empty();
        }
        Action action = switch (m.group(1)) {
            case "a" -> Action.APPROVE;
            case "d" -> Action.DENY;
            default -> Action.REVISE;
        };
        return Optional.of(new CallbackData(action, m.group(2)));
    }
}
