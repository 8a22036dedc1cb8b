package io.mppbroker.dashboard;

import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.Approval;
import io.mppbroker.approval.ApprovalCard;
import io.mppbroker.approval.ApprovalAnswers;
import io.mppbroker.approval.ApprovalCards;
import io.mppbroker.approval.ApprovalDecision;
import io.mppbroker.approval.ApprovalResource;
import io.mppbroker.policy.ApproverIdentity;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.FormAuthenticationMechanism;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * JSON behind the dashboard page, for a logged-in approver (session cookie of the form login; see
 * docs/dashboard.md). The approver id is the session's principal name, whatever mechanism authenticated it.
 */
@Path("/dashboard/api")
@Produces(MediaType.APPLICATION_JSON)
@Authenticated
@Blocking
@Tag(name = "Dashboard", description = "Session-authenticated JSON for the approvers' dashboard page")
public class DashboardResource {

    public record Me(String approver, List<String> projects) {}

    /** The answer to a decision: the outcome and the card as it stands now. */
    public record Decided(String outcome, ApprovalCard card) {}

    private final SecurityIdentity identity;
    private final DashboardApprovers approvers;
    private final BoardService boards;
    private final LiveSessions sessions;
    private final DashboardEvents events;
    private final ApprovalAnswers answers;
    private final ApprovalCards cards;

    public DashboardResource(SecurityIdentity identity, DashboardApprovers approvers, BoardService boards,
                             LiveSessions sessions, DashboardEvents events, ApprovalAnswers answers, ApprovalCards cards) {
        this.identity = identity;
        this.approvers = approvers;
        this.boards = boards;
        this.sessions = sessions;
        this.events = events;
        this.answers = answers;
        this.cards = cards;
    }

    @GET
    @Path("/me")
    @Operation(summary = "Who is logged in and for which projects")
    public Me me() {
        ApproverIdentity me = approver();
        return new Me(me.approverId(), List.copyOf(me.projects()));
    }

    @GET
    @Path("/board")
    @Operation(summary = "Pending approvals with their cards, and the list of held requests and recent decisions")
    public Board board() {
        return boards.board(approver());
    }

    @GET
    @Path("/sessions")
    @Operation(summary = "Live sessions: every agent of the approver's projects with its latest audit steps",
            description = "The same steps as the replay command prints; the events stream sends them again as a"
                    + " sessions event whenever they change.")
    public LiveSessions.Sessions sessions() {
        return sessions.of(approver());
    }

    @POST
    @Path("/approvals/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Approve, deny or approve with revisions",
            description = "Same body and rules as POST /v1/approvals/{id}; answered via \"dashboard\". 409 "
                    + "approval-already-decided names who decided and through which channel.")
    public Decided decide(@PathParam("id") String id, ApprovalResource.DecisionBody body) {
        ApproverIdentity me = approver();
        Approval approval = boards.checkAnswerable(id, me);
        ApprovalDecision decision = ApprovalResource.parse(body);
        ApprovalAnswers.Answer answer = answers.decide(me, approval.id, decision, "dashboard");
        return new Decided(answer.outcome().name().toLowerCase(Locale.ROOT), cards.build(approval.id));
    }

    @GET
    @Path("/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Server-sent events: board and sessions events now and whenever they change, ping events meanwhile")
    public void events(@Context SseEventSink sink, @Context Sse sse) {
        events.open(approver(), sink, sse);
    }

    @POST
    @Path("/logout")
    @Operation(summary = "Ends the session (clears the session cookie)")
    public Response logout() {
        FormAuthenticationMechanism.logout(identity);
        return Response.noContent().build();
    }

    private ApproverIdentity approver() {
        return approvers.byId(identity.getPrincipal().getName())
                .orElseThrow(() -> ApiProblem.forbidden("not-an-approver", "no policy lists "
                        + identity.getPrincipal().getName() + " as an approver any more"));
    }
}
