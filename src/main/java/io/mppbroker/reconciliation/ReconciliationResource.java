package io.mppbroker.reconciliation;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.auth.Callers;
import io.mppbroker.policy.ApproverIdentity;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1/reports/reconciliation")
@Blocking
@Tag(name = "Reports", description = "Reconciliation of charges against decisions, receipts, Stripe and external exports")
public class ReconciliationResource {

    private final Callers callers;
    private final DataSource database;

    public ReconciliationResource(Callers callers, DataSource database) {
        this.callers = callers;
        this.database = database;
    }

    @GET
    @Produces({"application/json", "text/csv", "text/html"})
    @Operation(summary = "Reconciliation report",
            description = "One row per charge (receipt reference, token, amount, seller, agent, task, basis human /"
                    + " policy_rule / autonomous, approvers and times, policy version), totals per project, agent, seller"
                    + " and basis, and the discrepancies. project= defaults to every project the approver approves;"
                    + " from/to are dates (whole UTC days, to inclusive) or RFC 3339 times (to exclusive)."
                    + " format=json (default), csv (table=charges|totals|discrepancies) or html (with a chart). Approvers only.")
    public Response report(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                           @QueryParam("project") List<String> project, @QueryParam("from") String from,
                           @QueryParam("to") String to, @QueryParam("format") String format,
                           @QueryParam("table") String table) {
        return answer(authorization, project, from, to, format, table, null);
    }

    @POST
    @Consumes({"text/csv", "text/plain"})
    @Produces({"application/json", "text/csv", "text/html"})
    @Operation(summary = "Reconciliation report joined with an external charge export",
            description = "As GET, with a CSV body of charges exported from Stripe (payment_intent or id = pi_..., amount in"
                    + " major units or amount_minor, currency, created) or from a card issuer (amount, date, merchant)."
                    + " Flags external charges the broker never authorized and broker charges missing from the export.")
    public Response reportWithExport(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
                                     @QueryParam("project") List<String> project, @QueryParam("from") String from,
                                     @QueryParam("to") String to, @QueryParam("format") String format,
                                     @QueryParam("table") String table, String export) {
        return answer(authorization, project, from, to, format, table, export == null ? "" : export);
    }

    private Response answer(String authorization, List<String> project, String from, String to, String format,
                            String table, String export) {
        ApproverIdentity approver = callers.approver(authorization);
        List<String> projects = projects(approver, project);
        ReportFormat chosen;
        ReportFormat.Table which;
        ReportWindow window;
        List<ExternalCharges.ExternalCharge> external;
        try {
            chosen = ReportFormat.parse(format);
            which = ReportFormat.Table.parse(table);
            window = ReportWindow.parse(from, to);
            external = export == null ? null : ExternalCharges.parse(export);
        } catch (ExternalCharges.InvalidExport e) {
            throw new ApiProblem(400, "invalid-export", "Unreadable charge export", e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(e.getMessage());
        }
        ReconciliationReport report;
        try (Connection connection = database.getConnection()) {
            report = Reconciliation.build(connection, new Reconciliation.Scope(projects, window.from(), window.to()),
                    external, Instant.now());
        } catch (SQLException e) {
            throw new IllegalStateException("reading the ledger failed: " + e.getMessage(), e);
        }
        return Response.ok(ReportWriter.write(report, chosen, which), chosen.mediaType()).build();
    }

    /** The projects asked for, each one the approver approves; none asked: all of theirs. */
    private static List<String> projects(ApproverIdentity approver, List<String> asked) {
        List<String> wanted = asked == null ? List.of() : asked.stream().filter(p -> p != null && !p.isBlank()).distinct().toList();
        if (wanted.isEmpty()) {
            return approver.projects().stream().sorted().toList();
        }
        for (String p : wanted) {
            if (!approver.mayApprove(p)) {
                throw ApiProblem.forbidden("not-your-project", "you do not approve for project " + p);
            }
        }
        return wanted;
    }
}
