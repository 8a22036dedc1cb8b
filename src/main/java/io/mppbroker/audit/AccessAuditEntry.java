package io.mppbroker.audit;

import java.time.Instant;

/**
 * One access decision (event {@code access}): {@code POST /v1/authorize} or a gateway call. The line holds every
 * payment key (payment ones null) plus {@code grant_id} and {@code expires}, so access and payment lines share
 * one file and one hash chain. {@code approvedBy}/{@code expires} name who granted the access and until when;
 * for grants written in a policy file they are {@code "policy"} and null (no expiry), and
 * {@code policyVersion} names the file version.
 */
public record AccessAuditEntry(
        Instant ts,
        String agent,
        String project,
        String action,
        String resource,
        String decision,
        String reason,
        Integer httpStatus,
        String grantId,
        String approvedBy,
        Instant expires,
        String policyVersion) {

    public static final String EVENT = "access";

    AuditEntry asEntry() {
        return new AuditEntry(ts, EVENT, agent, project, null, action, resource, decision, reason, null, null, null,
                null, approvedBy, null, httpStatus, policyVersion);
    }
}
