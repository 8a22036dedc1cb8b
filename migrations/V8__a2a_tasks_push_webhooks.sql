-- Agent notification: A2A tasks over payments and access requests, push notification configs and REST
-- webhooks (one table: both are "where to tell an agent"), and the deliveries to them.

-- An A2A task is a view of one broker record (its subject): the record keeps the state, the task keeps
-- the A2A identity (task id, context id) and who may see it.
CREATE TABLE a2a_task (
    id          text PRIMARY KEY,                      -- task_...
    context_id  text        NOT NULL,
    project     text        NOT NULL,
    agent       text        NOT NULL,
    message_id  text        NOT NULL,                  -- the agent's messageId: a resent message finds its task
    kind        text        NOT NULL,                  -- payment | access_request
    subject_id  text        NOT NULL,                  -- pay_... | acr_...
    open        boolean     NOT NULL DEFAULT true,     -- false once a terminal state was seen: the sweep skips it
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agent, message_id)
);
CREATE INDEX a2a_task_subject ON a2a_task (subject_id);
CREATE INDEX a2a_task_agent ON a2a_task (agent, created_at DESC);

-- Where to push: an A2A push notification config of one task, or an agent's REST webhook for event types.
CREATE TABLE push_target (
    id                text PRIMARY KEY,                -- pnc_... | whk_...
    kind              text        NOT NULL,            -- A2A | WEBHOOK
    project           text        NOT NULL,
    agent             text        NOT NULL,
    task_id           text REFERENCES a2a_task (id),   -- A2A only
    url               text        NOT NULL,
    token             text,                            -- secret: sent, never logged nor echoed back
    auth_scheme       text,
    auth_credentials  text,                            -- secret: sent, never logged nor echoed back
    events            text,                            -- WEBHOOK: comma-separated event types
    created_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
CREATE INDEX push_target_task ON push_target (task_id) WHERE deleted_at IS NULL;
CREATE INDEX push_target_agent ON push_target (agent, kind) WHERE deleted_at IS NULL;

-- One row per target, record and state version: the unique key makes "deliver once per state change" hold
-- when every node hears the same change; workers claim rows with FOR UPDATE SKIP LOCKED and a lease.
CREATE TABLE push_delivery (
    id               bigserial PRIMARY KEY,
    target_id        text        NOT NULL REFERENCES push_target (id),
    subject_id       text        NOT NULL,             -- task_... (A2A) | pay_... / acr_... (webhook)
    state_version    text        NOT NULL,
    payload          jsonb       NOT NULL,
    status           text        NOT NULL,             -- PENDING | SENDING | DELIVERED | FAILED | SKIPPED
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (target_id, subject_id, state_version)
);
CREATE INDEX push_delivery_due ON push_delivery (next_attempt_at) WHERE status IN ('PENDING', 'SENDING');
