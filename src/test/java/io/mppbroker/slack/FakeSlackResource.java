package io.mppbroker.slack;

import io.mppbroker.testkit.FakeSlack;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * A fake Slack workspace for the broker under test: the approvers' channel with fin-approver-1 (U0FIN1),
 * fin-approver-2 (U0FIN2), a colleague who approves nothing (U0STRANGER) and the approver of another
 * project (U0OPSLEAD). Points broker.slack.* at it with a fresh signing secret.
 */
public class FakeSlackResource implements QuarkusTestResourceLifecycleManager {

    public static final String CHANNEL = "C0FINAPPROVALS";
    public static final String FIN1 = "U0FIN1";
    public static final String FIN2 = "U0FIN2";
    public static final String STRANGER = "U0STRANGER";
    public static final String OPS_LEAD = "U0OPSLEAD";
    public static final String SIGNING_SECRET = randomHex(16);

    private static FakeSlack slack;

    public static FakeSlack slack() {
        return slack;
    }

    @Override
    public Map<String, String> start() {
        slack = FakeSlack.start();
        slack.addUser(FIN1, "fin1", "Fin Approver One", "fin1@example.com");
        slack.addUser(FIN2, "fin2", "Fin Approver Two", "fin2@example.com");
        slack.addUser(STRANGER, "stranger");
        slack.addUser(OPS_LEAD, "opslead");
        slack.addChannel(CHANNEL, "fin-approvals", FIN1, FIN2, STRANGER, OPS_LEAD);
        return Map.of("broker.slack.api-base", slack.baseUrl(),
                "broker.slack.bot-token", slack.botToken(),
                "broker.slack.signing-secret", SIGNING_SECRET);
    }

    @Override
    public void stop() {
        if (slack != null) {
            slack.close();
        }
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
