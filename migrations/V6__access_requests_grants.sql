-- Access requests that become scoped, expiring grants (issue 4 §3), and approvals whose subject is either a
-- payment or an access request.

CREATE TABLE access_request (
    id              text PRIMARY KEY,                     -- acr_...
    project         text        NOT NULL,
    agent           text        NOT NULL,
    service         text        NOT NULL,
    actions         jsonb       NOT NULL,                 -- ["stripe:charges:read"]: exactly what was asked
    resource        text,
    context         jsonb       NOT NULL DEFAULT '{}',
    justification   text        NOT NULL,
    ttl_seconds     bigint      NOT NULL CHECK (ttl_seconds > 0),
    derived_from    bigint,                               -- audit_event.seq of the denial it was derived from
    proposal        jsonb       NOT NULL,                 -- the least-privilege grant proposed
    diff            text        NOT NULL,                 -- unified YAML diff against the policy file
    status          text        NOT NULL,                 -- PENDING | APPROVED | DENIED | EXPIRED | WITHDRAWN
    approval_id     text,
    grant_id        text,
    decided_by      text,
    decided_at      timestamptz,
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         bigint      NOT NULL DEFAULT 0
);
CREATE INDEX access_request_agent ON access_request (agent, created_at);

-- An approval asks about exactly one subject.
ALTER TABLE approval ALTER COLUMN payment_id DROP NOT NULL;
ALTER TABLE approval ADD COLUMN access_request_id text REFERENCES access_request (id);
ALTER TABLE approval ADD CONSTRAINT approval_one_subject CHECK (num_nonnulls(payment_id, access_request_id) = 1);
CREATE INDEX approval_access_request ON approval (access_request_id) WHERE access_request_id IS NOT NULL;

-- Grants issued by an approved access request; they apply beside the policy file's grants until they expire
-- or are revoked. expiry_recorded_at makes the grant.expired audit line happen once, whichever node sees it.
CREATE TABLE access_grant (
    id                  text PRIMARY KEY,                 -- grt_...
    project             text        NOT NULL,
    service             text        NOT NULL,
    actions             jsonb       NOT NULL,             -- service-local: ["charges:read"]
    resources           jsonb       NOT NULL,
    branches            jsonb       NOT NULL,
    expires_at          timestamptz NOT NULL,
    approved_by         text        NOT NULL,
    approval_id         text        NOT NULL REFERENCES approval (id),
    access_request_id   text        NOT NULL UNIQUE REFERENCES access_request (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    revoked_at          timestamptz,
    revoked_by          text,
    expiry_recorded_at  timestamptz
);
CREATE INDEX access_grant_active ON access_grant (project, expires_at) WHERE revoked_at IS NULL;
CREATE INDEX access_grant_unrecorded_expiry ON access_grant (expires_at)
    WHERE revoked_at IS NULL AND expiry_recorded_at IS NULL;

-- "The agent's most recent denial" is read from the audit trail.
CREATE INDEX audit_event_access_denials ON audit_event (agent, seq) WHERE event = 'access' AND decision = 'DENY';
