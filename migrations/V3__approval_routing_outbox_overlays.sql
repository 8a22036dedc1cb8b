-- Humans in the loop: routed and escalating approvals, N-of-M votes, revisions as policy overlays,
-- and a durable outbox for Slack and Telegram messages.

ALTER TABLE approval
    ADD COLUMN agent               text,
    ADD COLUMN required_approvals  integer NOT NULL DEFAULT 1,
    ADD COLUMN route_index         integer NOT NULL DEFAULT 0,
    ADD COLUMN escalate_at         timestamptz,
    ADD COLUMN decided_via         text,
    ADD COLUMN revision            jsonb;
CREATE INDEX approval_escalation ON approval (escalate_at) WHERE status = 'PENDING';

-- One vote per approver per approval: the primary key makes a double click count once, on any node.
CREATE TABLE approval_vote (
    approval_id  text        NOT NULL REFERENCES approval (id),
    approver     text        NOT NULL,
    verdict      text        NOT NULL,
    note         text,
    via          text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (approval_id, approver)
);

-- Revisions approvers made, applied on top of the policy file until they expire or are revoked.
CREATE TABLE policy_overlay (
    id           text PRIMARY KEY,                     -- ovl_...
    project      text           NOT NULL,
    kind         text           NOT NULL,              -- TASK_BUDGET | SELLER_ALLOWANCE
    task         text,
    seller_host  text,
    amount       numeric(20, 4) NOT NULL CHECK (amount > 0),
    expires_at   timestamptz    NOT NULL,
    created_by   text           NOT NULL,
    approval_id  text REFERENCES approval (id),
    created_at   timestamptz    NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX policy_overlay_active ON policy_overlay (project, kind, expires_at) WHERE revoked_at IS NULL;

-- Messages to humans are written in the same transaction as the state they announce, then delivered
-- (with retries) by a worker: a Slack or Telegram outage delays them, never loses them.
CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    channel          text        NOT NULL,             -- slack | telegram
    kind             text        NOT NULL,             -- ANNOUNCE | UPDATE
    approval_id      text        NOT NULL REFERENCES approval (id),
    target           text        NOT NULL,             -- Slack channel/user id, Telegram chat id
    status           text        NOT NULL,             -- PENDING | SENDING | SENT | FAILED | SKIPPED
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    external_ref     text,                             -- the channel's id of the posted message
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('PENDING', 'SENDING');
CREATE INDEX outbox_approval ON outbox (approval_id, channel, target);
