package io.mppbroker.audit;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.auth.Callers;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
@Tag(name = "Audit", description = "The audit trail, as the JSONL lines written to the audit file")
public class AuditResource {

    private final Callers callers;
    private final AuditExporter exporter;

    public AuditResource(Callers callers, AuditExporter exporter) {
        this.callers = callers;
        this.exporter = exporter;
    }

    @GET
    @Path("/verify")
    @Operation(summary = "Verify the audit files",
            description = "Checks every line's hash, the seq order and prev_hash links across rotated files, every checkpoint's"
                    + " Ed25519 signature, and that the files hold exactly the database's chain. Reports ok or the first"
                    + " problem (edited, deleted, reordered, duplicated, truncated, bad_checkpoint, bad_signature,"
                    + " not_in_database). Approvers only.")
    public AuditReport verify(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        callers.approver(authorization);
        return exporter.verify();
    }

    @GET
    @Operation(summary = "One session's audit lines in order",
            description = "Agents see their own lines; approvers see their projects' lines (give project= if they approve several).")
    public List<Map<String, Object>> lines(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                           @QueryParam("agent") String agent,
                                           @QueryParam("task") String task,
                                           @QueryParam("project") String project) {
        Callers.Caller caller = callers.any(authorization);
        String scopeProject;
        String scopeAgent = agent;
        if (caller.agent().isPresent()) {
            var self = caller.agent().get();
            if (agent != null && !agent.equals(self.agentId())) {
                throw ApiProblem.forbidden("not-your-audit", "agents can only read their own audit lines");
            }
            scopeProject = self.project();
            scopeAgent = self.agentId();
        } else {
            var approver = caller.approver().orElseThrow();
            if (project == null && approver.projects().size() == 1) {
                scopeProject = approver.projects().iterator().next();
            } else if (project != null && approver.mayApprove(project)) {
                scopeProject = project;
            } else {
                throw ApiProblem.badRequest("give project= (one of the projects you approve)");
            }
        }
        String p = scopeProject;
        String a = scopeAgent;
        return QuarkusTransaction.requiringNew().call(() ->
                AuditEvent.forSession(p, a, task).stream().map(e -> e.line).toList());
    }
}
