-- Agent ids are unique only within a project (two policy files may both name an agent "bot"), so everything keyed
-- by agent is keyed by (project, agent): an Idempotency-Key or an A2A messageId of one project's agent must never
-- find another project's payment or task.
DROP INDEX payment_idempotency;
CREATE UNIQUE INDEX payment_idempotency ON payment (project, agent, idempotency_key) WHERE idempotency_key IS NOT NULL;

ALTER TABLE a2a_task DROP CONSTRAINT a2a_task_agent_message_id_key;
ALTER TABLE a2a_task ADD CONSTRAINT a2a_task_message UNIQUE (project, agent, message_id);
DROP INDEX a2a_task_agent;
CREATE INDEX a2a_task_agent ON a2a_task (project, agent, created_at DESC);

DROP INDEX push_target_agent;
CREATE INDEX push_target_agent ON push_target (project, agent, kind) WHERE deleted_at IS NULL;
