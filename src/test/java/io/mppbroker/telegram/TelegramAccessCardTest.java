package io.mppbroker.telegram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.approval.ApprovalCard;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.InlineKeyboardMarkup;

/** An access request as a Telegram message: what is asked, why, the diff, and Approve / Deny / Narrow. */
class TelegramAccessCardTest {

    static final String DIFF = "--- a/grants.yaml\n+++ b/grants.yaml\n@@ -1,1 +1,5 @@\n grants:\n"
            + "+  - service: stripe\n+    actions: [\"charges:read\"]\n+    resources: [\"stripe.com/v1/charges\"]\n";

    static ApprovalCard card(String status, String grantId) {
        ApprovalCard.AccessCard access = new ApprovalCard.AccessCard("acr_1", List.of("stripe:charges:read"),
                "stripe.com/v1/charges", List.of(), "24h", "reconcile <Nov> & Dec", DIFF, grantId,
                grantId == null ? null : "2026-03-02T10:00:00Z", null);
        boolean pending = status.equals("pending");
        return new ApprovalCard("apr_1", null, "grants", "ledger-agent", null, "reconcile <Nov> & Dec", null, null, null,
                null, null, "access", "access request", 1, List.of(), List.of(), List.of(), status,
                pending ? null : "fin-lead", pending ? null : "telegram", pending ? null : "2026-03-01T10:15:30Z", null, 0,
                "2026-03-01T10:00:00Z", null, access);
    }

    @Test
    void thePendingCardShowsTheRequestAndTheDiffEscaped() {
        String html = TelegramCardText.html(card("pending", null));
        for (String expected : List.of("Access request: stripe:charges:read", "ledger-agent", "stripe.com/v1/charges", "24h",
                "reconcile &lt;Nov&gt; &amp; Dec", "<pre>", "+    actions: [&quot;charges:read&quot;]", "acr_1")) {
            assertTrue(html.contains(expected), "lacks " + expected + ": " + html);
        }
        InlineKeyboardMarkup keyboard = TelegramCardText.keyboard(card("pending", null));
        assertEquals("\u2705 Approve", keyboard.getKeyboard().get(0).get(0).getText());
        assertEquals("\u274C Deny", keyboard.getKeyboard().get(0).get(1).getText());
        assertEquals("\u270F Narrow", keyboard.getKeyboard().get(1).get(0).getText());
        assertEquals("r:apr_1", keyboard.getKeyboard().get(1).get(0).getCallbackData());
    }

    @Test
    void theDecidedCardNamesWhoAndTheGrant() {
        String html = TelegramCardText.html(card("approved", "grt_9"));
        assertTrue(html.contains("Approved: access for ledger-agent"), html);
        assertTrue(html.contains("by <b>fin-lead</b> via telegram"), html);
        assertTrue(html.contains("Grant <code>grt_9</code> until 2026-03-02 10:00:00 UTC"), html);
        assertNull(TelegramCardText.keyboard(card("approved", "grt_9")));
    }
}
