package io.mppbroker.a2a;

import io.mppbroker.audit.AuditEntry;
import io.mppbroker.audit.AuditTrail;
import io.mppbroker.payment.Ids;
import io.mppbroker.policy.AgentIdentity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One service for push targets: A2A push notification configs of a task and REST webhooks of an agent. URLs
 * pass the {@link PushUrlGuard} here and again at each delivery. Registering and removing one is an audit line
 * that names the URL without its query (which may carry a secret).
 */
@ApplicationScoped
public class PushTargets {

    public static final String ACTION = "a2a:push";

    private final PushUrlGuard guard;
    private final AuditTrail audit;
    private final PushNotifier notifier;

    public PushTargets(PushUrlGuard guard, AuditTrail audit, PushNotifier notifier) {
        this.guard = guard;
        this.audit = audit;
        this.notifier = notifier;
    }

    /** What the agent asked for; {@code token} and {@code credentials} are secrets. */
    public record Spec(String url, String token, String authScheme, String authCredentials, List<String> events) {}

    /** A task's push config; the task's current state is pushed to it at once, later states as they come. */
    public PushTarget createForTask(AgentIdentity agent, A2aTask task, Spec spec) {
        URI url = guard.check(spec.url());
        PushTarget target = QuarkusTransaction.requiringNew().call(() -> {
            PushTarget t = persist(PushTarget.Kind.A2A, Ids.next("pnc"), agent, task.id, url, spec);
            audit.record(line("push_config.created", agent, null, url,
                    "push notifications of task " + task.id + " (" + task.subjectId + ") go to " + shown(url)));
            return t;
        });
        notifier.enqueueLater(task.subjectId);
        return target;
    }

    public PushTarget createWebhook(AgentIdentity agent, Spec spec) {
        URI url = guard.check(spec.url());
        return QuarkusTransaction.requiringNew().call(() -> {
            PushTarget t = persist(PushTarget.Kind.WEBHOOK, Ids.next("whk"), agent, null, url, spec);
            audit.record(line("webhook.registered", agent, null, url,
                    String.join(",", spec.events()) + " events of " + agent.agentId() + " go to " + shown(url)));
            return t;
        });
    }

    public List<PushTarget> ofTask(String taskId) {
        return QuarkusTransaction.requiringNew().call(() -> PushTarget.ofTask(taskId));
    }

    public Optional<PushTarget> ofTask(String taskId, String id) {
        return QuarkusTransaction.requiringNew().call(() -> PushTarget.ofTask(taskId, id));
    }

    public List<PushTarget> webhooks(AgentIdentity agent) {
        return QuarkusTransaction.requiringNew().call(() -> PushTarget.webhooksOf(agent.project(), agent.agentId()));
    }

    /** Deleting is idempotent; nothing more is pushed to a deleted target, even what was already queued. */
    public boolean delete(AgentIdentity agent, PushTarget.Kind kind, String id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            PushTarget t = PushTarget.findById(id);
            if (t == null || t.kind != kind || !t.project.equals(agent.project()) || !t.agent.equals(agent.agentId())) {
                return false;
            }
            if (t.deletedAt == null) {
                t.deletedAt = Instant.now();
                URI url = URI.create(t.url);
                audit.record(line(kind == PushTarget.Kind.A2A ? "push_config.deleted" : "webhook.deleted", agent, null, url,
                        t.id + (t.taskId == null ? "" : " of task " + t.taskId) + " to " + shown(url) + " removed"));
            }
            return true;
        });
    }

    private static PushTarget persist(PushTarget.Kind kind, String id, AgentIdentity agent, String taskId, URI url, Spec spec) {
        PushTarget t = new PushTarget();
        t.id = id;
        t.kind = kind;
        t.project = agent.project();
        t.agent = agent.agentId();
        t.taskId = taskId;
        t.url = url.toString();
        t.token = spec.token();
        t.authScheme = spec.authScheme();
        t.authCredentials = spec.authCredentials();
        if (kind == PushTarget.Kind.WEBHOOK && spec.token() != null) {
            // A webhook's token is sent as a bearer token, the way the agent's own API calls authenticate.
            t.token = null;
            t.authScheme = "Bearer";
            t.authCredentials = spec.token();
        }
        t.events = spec.events() == null || spec.events().isEmpty() ? null : String.join(",", spec.events());
        t.createdAt = Instant.now();
        t.persist();
        return t;
    }

    /** Scheme, host, port and path: never the query or fragment. */
    /** Logs and audit lines show where a push goes, never the path or query: webhook URLs often carry a secret there. */
    static String shown(URI url) {
        return url.getScheme() + "://" + url.getRawAuthority() + "/…";
    }

    private static AuditEntry line(String event, AgentIdentity agent, String taskId, URI url, String reason) {
        return new AuditEntry(Instant.now(), event, agent.agentId(), agent.project(), taskId, ACTION, shown(url), null,
                reason, null, null, null, null, null, null, null);
    }
}
