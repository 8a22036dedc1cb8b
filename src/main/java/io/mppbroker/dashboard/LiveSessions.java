package io.mppbroker.dashboard;

import io.mppbroker.audit.AuditEvent;
import io.mppbroker.audit.TimelineStep;
import io.mppbroker.policy.AgentEntry;
import io.mppbroker.policy.ApproverIdentity;
import io.mppbroker.policy.PolicyRegistry;
import io.mppbroker.policy.ProjectPolicy;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The live sessions view: every agent of the approver's projects with its latest audit steps, as the timeline
 * of {@code replay} prints them. Agents that did something most recently come first.
 */
@ApplicationScoped
public class LiveSessions {

    /** Steps shown per agent; the whole session is one {@code replay} or {@code GET /v1/audit?agent=} away. */
    static final int STEPS = 10;

    /** What {@code GET /dashboard/api/sessions} and the {@code sessions} event carry. */
    public record Sessions(List<AgentSession> agents) {}

    /** One agent: its latest steps in chain order (oldest first), {@code lastStepAt} null when it has none yet. */
    public record AgentSession(String project, String agent, String lastStepAt, List<TimelineStep> steps) {}

    private final PolicyRegistry policies;

    public LiveSessions(PolicyRegistry policies) {
        this.policies = policies;
    }

    public Sessions of(ApproverIdentity me) {
        List<AgentSession> agents = QuarkusTransaction.requiringNew().call(() -> {
            List<AgentSession> found = new ArrayList<>();
            for (String project : new TreeSet<>(me.projects())) {
                for (AgentEntry agent : policies.project(project).map(ProjectPolicy::agents).orElse(List.of())) {
                    List<TimelineStep> steps = new ArrayList<>(AuditEvent.latestOf(project, agent.id(), STEPS).stream()
                            .map(e -> TimelineStep.of(e.line)).toList());
                    steps.sort(Comparator.comparingLong(TimelineStep::seq));
                    found.add(new AgentSession(project, agent.id(),
                            steps.isEmpty() ? null : steps.get(steps.size() - 1).ts(), steps));
                }
            }
            return found;
        });
        // Most recent activity first (the newest line has the highest seq); idle agents after them, by name.
        agents.sort(Comparator.comparingLong((AgentSession s) -> s.steps().isEmpty() ? Long.MAX_VALUE
                        : -s.steps().get(s.steps().size() - 1).seq())
                .thenComparing(AgentSession::project).thenComparing(AgentSession::agent));
        return new Sessions(List.copyOf(agents));
    }
}
