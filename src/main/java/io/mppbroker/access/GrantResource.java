package io.mppbroker.access;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.auth.Callers;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Grants issued by approved access requests: listed for agents and approvers, revoked by approvers only. */
@Path("/v1/grants")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
@Tag(name = "Access", description = "Deny-by-default access grants")
public class GrantResource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final GrantService grants;
    private final Callers callers;

    public GrantResource(GrantService grants, Callers callers) {
        this.grants = grants;
        this.callers = callers;
    }

    public record RevokeBody(String note) {}

    @GET
    @Operation(summary = "Active issued grants: an agent's project, or every project of an approver (?project= to filter)")
    public List<GrantView> list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                @QueryParam("project") String project) {
        return grants.list(callers.any(authorization), project);
    }

    @POST
    @Path("/{id}/revoke")
    @Operation(summary = "Revoke an issued grant (approver of its project; never an agent)",
            description = "Body {\"note\"?} optional. 409 if already revoked or expired.")
    public GrantView revoke(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id,
                            String body) {
        return grants.revoke(callers.approver(authorization), id, note(body));
    }

    /** The body is optional (a bare POST revokes); when present it is {@code {"note": "..."}}. */
    private static String note(String body) {
        if (body == null || body.isBlank()) return null;
        try {
            RevokeBody parsed = JSON.readValue(body, RevokeBody.class);
            return parsed == null ? null : parsed.note();
        } catch (java.io.IOException e) {
            throw ApiProblem.badRequest("the body must be empty or {\"note\": \"...\"}");
        }
    }
}
