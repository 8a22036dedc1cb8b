package io.mppbroker.audit;

import java.time.Instant;

/**
 * One line about access: a decision (event {@code access}: {@code POST /v1/authorize} or a gateway call) or a step
 * of an access request and the grant it became ({@code access_request.created}, {@code access_request.proposed},
 * {@code access_request.approved|denied|expired|withdrawn}, {@code grant.added|expired|revoked}). The line holds
 * every payment key (payment ones null) plus {@code grant_id}, {@code expires} and {@code access_request_id}, so
 * access and payment lines share one file and one hash chain. {@code approvedBy}/{@code expires} name who granted
 * the access and until when; for grants written in a policy file they are {@code "policy"} and null (no expiry),
 * and {@code policyVersion} names the file version.
 */
public record AccessAuditEntry(
        Instant ts,
        String event,
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
        String policyVersion,
        String accessRequestId) {

    public static final String EVENT = "access";

    /** An access decision (event {@code access}). */
    public AccessAuditEntry(Instant ts, String agent, String project, String action, String resource, String decision,
                            String reason, Integer httpStatus, String grantId, String approvedBy, Instant expires,
                            String policyVersion) {
        this(ts, EVENT, agent, project, action, resource, decision, reason, httpStatus, grantId, approvedBy, expires,
                policyVersion, null);
    }

    AuditEntry asEntry() {
        return new AuditEntry(ts, event, agent, project, null, action, resource, decision, reason, null, null, null,
                null, approvedBy, null, httpStatus, policyVersion);
    }
}
