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
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
@Tag(name = "Audit", description = "The audit trail, as the JSONL lines written to the audit file")
public class AuditResource {

    private final Callers callers;
    private final AuditExporter exporter;
    private final AuditChain chain;

    public AuditResource(Callers callers, AuditExporter exporter, AuditChain chain) {
        this.callers = callers;
        this.exporter = exporter;
        this.chain = chain;
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
    @Operation(summary = "One session's audit lines in chain order, a page at a time",
            description = "Agents see their own lines (agent= may only name themselves); approvers see their projects'"
                    + " lines (give project= if they approve several). task= narrows to one task. Pages: at most limit="
                    + " lines (default " + DEFAULT_LIMIT + ", up to " + MAX_LIMIT + ") with seq above after= (the cursor);"
                    + " when more follow, a Link header with rel=\"next\" names the next page.")
    public Response lines(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                          @QueryParam("agent") String agent,
                          @QueryParam("task") String task,
                          @QueryParam("project") String project,
                          @QueryParam("after") String after,
                          @QueryParam("limit") String limit,
                          @Context UriInfo uri) {
        Callers.Caller caller = callers.any(authorization);
        long afterSeq = number("after", after, 0, Long.MAX_VALUE, 0);
        int pageSize = (int) number("limit", limit, 1, MAX_LIMIT, DEFAULT_LIMIT);
        String scopeProject;
        String scopeAgent = given("agent", agent);
        String scopeTask = given("task", task);
        if (caller.agent().isPresent()) {
            var self = caller.agent().get();
            if (scopeAgent != null && !scopeAgent.equals(self.agentId())) {
                throw ApiProblem.forbidden("not-your-audit", "agents can only read their own audit lines");
            }
            if (project != null && !project.equals(self.project())) {
                throw ApiProblem.forbidden("not-your-audit", "agents can only read their own project's audit lines");
            }
            scopeProject = self.project();
            scopeAgent = self.agentId();
        } else {
            var approver = caller.approver().orElseThrow();
            if (project == null && approver.projects().size() == 1) {
                scopeProject = approver.projects().iterator().next();
            } else if (project == null) {
                throw ApiProblem.badRequest("give project= (one of the projects you approve: "
                        + String.join(", ", new java.util.TreeSet<>(approver.projects())) + ")");
            } else if (approver.mayApprove(project)) {
                scopeProject = project;
            } else {
                throw ApiProblem.forbidden("not-your-project", "you do not approve project " + project);
            }
        }
        String p = scopeProject;
        String a = scopeAgent;
        String t = scopeTask;
        chain.sealPending(); // the caller's own steps that just committed are in the chain too
        // One line more than the page tells whether a next page exists without a count query.
        List<AuditEvent> rows = QuarkusTransaction.requiringNew().call(() ->
                AuditEvent.forSession(p, a, t, afterSeq, pageSize + 1));
        boolean more = rows.size() > pageSize;
        List<AuditEvent> page = more ? rows.subList(0, pageSize) : rows;
        Response.ResponseBuilder response = Response.ok(page.stream().map(e -> AuditLines.inFileOrder(e.line)).toList());
        if (more) {
            URI next = uri.getRequestUriBuilder().replaceQueryParam("after", page.get(page.size() - 1).seq)
                    .replaceQueryParam("limit", pageSize).build();
            // Relative (path and query): right behind a proxy that rewrites the host.
            response.link(URI.create(next.getRawPath() + "?" + next.getRawQuery()), "next");
        }
        return response.build();
    }

    static final int DEFAULT_LIMIT = 500;
    static final int MAX_LIMIT = 1000;

    /** Query values are parsed here, not by JAX-RS, whose conversion failures answer 404 instead of a problem. */
    private static long number(String name, String value, long min, long max, long absent) {
        if (value == null) {
            return absent;
        }
        try {
            long n = Long.parseLong(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.badRequest(name + " must be a whole number from " + min + " to " + max + ", not \""
                + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "\"");
    }

    private static String given(String name, String value) {
        if (value != null && (value.isBlank() || value.length() > 200)) {
            throw ApiProblem.badRequest(name + " must be 1 to 200 characters (leave it out for all)");
        }
        return value;
    }
}
