package io.mppbroker.telegram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.ApprovalDecision;
import io.mppbroker.approval.ApprovalResource;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Narrowing an access request by replying to the bot's prompt. */
class NarrowReplyTest {

    @Test
    void aReplyNarrowsTtlAndActions() {
        ApprovalDecision d = ApprovalResource.parse(NarrowReply.parse(
                "ttl=2h actions=stripe:charges:read, note=month-end only, thanks"));
        assertEquals(ApprovalDecision.Verdict.APPROVE, d.verdict());
        assertEquals(Duration.ofHours(2), d.narrowing().ttl());
        assertEquals(List.of("stripe:charges:read"), d.narrowing().actions());
        assertEquals("month-end only, thanks", d.note());
        assertNull(d.maxAmount());
    }

    @Test
    void denyWithANoteAndPlainApprove() {
        ApprovalDecision deny = ApprovalResource.parse(NarrowReply.parse("deny note=use the export"));
        assertEquals(ApprovalDecision.Verdict.DENY, deny.verdict());
        assertEquals("use the export", deny.note());
        assertNull(ApprovalResource.parse(NarrowReply.parse("approve")).narrowing());
    }

    @Test
    void refusals() {
        assertThrows(ApiProblem.class, () -> NarrowReply.parse(""));
        assertThrows(ApiProblem.class, () -> NarrowReply.parse("amount=10.00"));
        assertThrows(ApiProblem.class, () -> NarrowReply.parse("ttl=2h ttl=3h"));
        assertThrows(ApiProblem.class, () -> ApprovalResource.parse(NarrowReply.parse("ttl=soon")));
        assertThrows(ApiProblem.class, () -> ApprovalResource.parse(NarrowReply.parse("deny ttl=2h")));
    }

    @Test
    void thePromptNamesTheApproval() {
        String prompt = NarrowReply.prompt("apr_abc-1", "stripe:charges:read on stripe.com/v1/charges for 24h");
        assertEquals(Optional.of("apr_abc-1"), NarrowReply.approvalIdOfPrompt(prompt));
        assertEquals(Optional.empty(), RevisionReply.approvalIdOfPrompt(prompt));
    }
}
