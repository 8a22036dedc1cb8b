package io.mppbroker.a2a;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Where to tell an agent about a change: an A2A push notification config of one task, or a REST webhook
 * for event types. {@code token} and {@code authCredentials} are secrets: sent with each push, never logged,
 * never shown back.
 */
@Entity
@Table(name = "push_target")
public class PushTarget extends PanacheEntityBase {

    public enum Kind { A2A, WEBHOOK }

    @Id
    public String id;
    @Enumerated(EnumType.STRING)
    public Kind kind;
    public String project;
    public String agent;
    @Column(name = "task_id")
    public String taskId;
    public String url;
    public String token;
    @Column(name = "auth_scheme")
    public String authScheme;
    @Column(name = "auth_credentials")
    public String authCredentials;
    public String events;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "deleted_at")
    public Instant deletedAt;

    public List<String> eventList() {
        return events == null || events.isEmpty() ? List.of() : Arrays.asList(events.split(","));
    }

    public static List<PushTarget> ofTask(String taskId) {
        return list("taskId = ?1 and deletedAt is null", Sort.ascending("createdAt", "id"), taskId);
    }

    public static Optional<PushTarget> ofTask(String taskId, String id) {
        return find("id = ?1 and taskId = ?2 and deletedAt is null", id, taskId).firstResultOptional();
    }

    public static List<PushTarget> webhooksOf(String project, String agent) {
        return list("project = ?1 and agent = ?2 and kind = ?3 and deletedAt is null", Sort.ascending("createdAt", "id"),
                project, agent, Kind.WEBHOOK);
    }

    public static List<PushTarget> allWebhooks() {
        return list("kind = ?1 and deletedAt is null", Kind.WEBHOOK);
    }
}
