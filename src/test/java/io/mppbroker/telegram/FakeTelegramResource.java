package io.mppbroker.telegram;

import io.mppbroker.testkit.FakeTelegram;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Starts the fake Bot API before the broker boots, with the people and the group of test-budgets/tg.yaml,
 * and points broker.telegram.* at it.
 */
public class FakeTelegramResource implements QuarkusTestResourceLifecycleManager {

    public static final long GROUP = -1001500000001L;
    public static final long APPROVER = 7100001L;      // tg-approver
    public static final long COLLEAGUE = 7100002L;     // tg-colleague
    public static final long OUTSIDER = 7100003L;      // approver of project tg-other only
    public static final long STRANGER = 7100099L;      // in no policy
    public static final String WEBHOOK_SECRET = "tg-webhook-secret_0123456789-abcdef";

    private static FakeTelegram telegram;

    public static FakeTelegram telegram() {
        return telegram;
    }

    @Override
    public Map<String, String> start() {
        telegram = FakeTelegram.start();
        telegram.addGroup(GROUP, "Payment approvals");
        telegram.addUser(APPROVER, "approver", "Ada");
        telegram.addUser(COLLEAGUE, "colleague", "Cole");
        telegram.addUser(OUTSIDER, "outsider", "Otto");
        telegram.addUser(STRANGER, "stranger", "Stan");
        return Map.of("broker.telegram.api-base", telegram.baseUrl(),
                "broker.telegram.bot-token", telegram.botToken(),
                "broker.telegram.webhook-secret", WEBHOOK_SECRET);
    }

    @Override
    public void stop() {
        if (telegram != null) {
            telegram.close();
        }
    }
}
