package io.mppbroker.access;

import io.mppbroker.approval.Approval;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;

/**
 * Time-driven steps of access requests, safe on several nodes: escalating unanswered access approvals (a
 * conditional update on the route index) and writing {@code grant.expired} once per expired grant (a
 * {@code SKIP LOCKED} claim). Expiry itself needs no job: a grant allows nothing from its {@code expires_at} on.
 */
@ApplicationScoped
public class AccessJobs {

    private final AccessRequestService requests;
    private final GrantService grants;

    public AccessJobs(AccessRequestService requests, GrantService grants) {
        this.requests = requests;
        this.grants = grants;
    }

    @Scheduled(identity = "access-escalation", every = "${broker.approvals.escalation-check:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void escalate() {
        List<String> due = QuarkusTransaction.requiringNew().call(() ->
                Approval.dueForEscalation(Instant.now(), 100, true).stream().map(a -> a.id).toList());
        due.forEach(requests::escalate);
    }

    @Scheduled(identity = "grant-expiry", every = "${broker.access.expiry-check:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void expire() {
        grants.recordExpiries();
    }
}
