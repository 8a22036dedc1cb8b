package io.mppbroker.a2a;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** An A2A task: the A2A identity of one broker record (its subject), owned by the agent that sent the message. */
@Entity
@Table(name = "a2a_task")
public class A2aTask extends PanacheEntityBase {

    @Id
    public String id;
    @Column(name = "context_id")
    public String contextId;
    public String project;
    public String agent;
    @Column(name = "message_id")
    public String messageId;
    /** {@link TaskSubject#kind()}. */
    public String kind;
    @Column(name = "subject_id")
    public String subjectId;
    public boolean open;
    @Column(name = "created_at")
    public Instant createdAt;

    /** Agent ids are unique only within a project: every lookup by agent names the project too. */
    public static Optional<A2aTask> byMessage(String project, String agent, String messageId) {
        return find("project = ?1 and agent = ?2 and messageId = ?3", project, agent, messageId).firstResultOptional();
    }

    public static List<A2aTask> bySubject(String subjectId) {
        return list("subjectId", subjectId);
    }

    /** The agent's most recent tasks, newest first. */
    public static List<A2aTask> ofAgent(String project, String agent, int limit) {
        return find("project = ?1 and agent = ?2", Sort.descending("createdAt", "id"), project, agent).page(0, limit).list();
    }

    /** Open tasks that someone asked to be pushed about: what the sweep re-checks. */
    public static List<A2aTask> openWithPushTargets() {
        return list("open = true and exists (from PushTarget p where p.taskId = id and p.deletedAt is null)");
    }
}
