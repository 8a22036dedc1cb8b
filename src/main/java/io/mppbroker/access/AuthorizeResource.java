package io.mppbroker.access;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.auth.Callers;
import io.mppbroker.policy.AgentIdentity;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The access decision for enforcement points outside the broker (git hooks, tool runners, cloud proxies). */
@Path("/v1/authorize")
@Blocking
@Tag(name = "Access", description = "Deny-by-default access grants")
public class AuthorizeResource {

    private final Callers callers;
    private final AccessService access;

    public AuthorizeResource(Callers callers, AccessService access) {
        this.callers = callers;
        this.access = access;
    }

    /** {@code context}: string values only; {@code branch} (git) and {@code command} (tools) are read. */
    public record AuthorizeBody(String action, String resource, Map<String, Object> context) {}

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "May the calling agent do this?",
            description = "Answers 200 {decision: ALLOW, grant_id, approved_by, expires} or 403 problem+json {decision: DENY, reason}. "
                    + "action is <service>:<action> (aws:s3:GetObject, git:push, tools:Bash); every answer is an audit line.")
    public Map<String, Object> authorize(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, AuthorizeBody body) {
        AgentIdentity agent = callers.agent(authorization);
        AccessRequest request = parse(body);
        AccessService.Checked checked = access.check(agent, request);
        AccessDecision d = checked.decision();
        access.record(agent, request, checked, d.allowed() ? 200 : 403);
        if (!d.allowed()) {
            throw AccessService.denied(request, d);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("decision", d.verdict().name());
        answer.put("grant_id", d.grantId());
        answer.put("approved_by", checked.approvedBy());
        answer.put("expires", checked.expires() == null ? null : checked.expires().toString());
        answer.put("reason", d.reason());
        answer.put("action", request.action());
        answer.put("resource", request.resource());
        return answer;
    }

    static AccessRequest parse(AuthorizeBody body) {
        if (body == null || body.action() == null || body.action().isBlank()) {
            throw ApiProblem.badRequest("action is required, as <service>:<action> (e.g. git:push)");
        }
        Map<String, String> context = new LinkedHashMap<>();
        if (body.context() != null) {
            body.context().forEach((k, v) -> {
                if (v != null && !(v instanceof String)) {
                    throw ApiProblem.badRequest("context." + k + " must be a string");
                }
                if (v != null) context.put(k, (String) v);
            });
        }
        return new AccessRequest(body.action().strip(), body.resource(), context);
    }
}
