-- The paying path: payments, the decisions that authorized them, human approvals,
-- budget reservations (the ledger) and the append-only audit trail.

CREATE TABLE payment (
    id                  text PRIMARY KEY,                 -- pay_...
    project             text        NOT NULL,
    agent               text        NOT NULL,
    task                text        NOT NULL,
    purpose             text,
    idempotency_key     text,
    request_hash        text        NOT NULL,             -- sha-256 of the agent's request, for idempotent replays
    request_method      text        NOT NULL,
    request_url         text        NOT NULL,
    request_headers     jsonb       NOT NULL,
    request_body        bytea,                            -- replayed byte for byte
    status              text        NOT NULL,
    seller_host         text,
    realm               text,
    network_profile     text,
    challenge_id        text,
    amount              numeric(20, 4),                   -- major units, exact
    amount_minor        bigint,
    currency            text,
    decision_id         text,
    tier                text,
    rule                text,
    reason              text,
    approval_id         text,
    approved_by         text,
    approval_note       text,
    approved_max_amount numeric(20, 4),
    spt_id              text,                             -- stored for reconciliation, never logged
    receipt_reference   text,                             -- the seller's PaymentIntent id
    receipt             jsonb,
    response_status     integer,
    response_headers    jsonb,
    response_body       bytea,
    failure_code        text,
    failure_detail      text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             bigint      NOT NULL DEFAULT 0,
    CONSTRAINT payment_amount_non_negative CHECK (amount IS NULL OR amount >= 0)
);
CREATE UNIQUE INDEX payment_idempotency ON payment (agent, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX payment_project_status ON payment (project, status);
CREATE INDEX payment_receipt_reference ON payment (receipt_reference);

-- Why a payment was allowed, refused or parked: one row per decision, never changed.
CREATE TABLE decision (
    id              text PRIMARY KEY,                     -- dec_...
    payment_id      text        NOT NULL REFERENCES payment (id),
    tier            text        NOT NULL,
    basis           text        NOT NULL,                 -- policy | human
    rule            text,
    reason          text        NOT NULL,
    policy_version  text        NOT NULL,
    decided_by      text,                                 -- approver id for human decisions
    amount          numeric(20, 4),
    currency        text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decision_payment ON decision (payment_id);

CREATE TABLE approval (
    id              text PRIMARY KEY,                     -- apr_...
    payment_id      text        NOT NULL REFERENCES payment (id),
    project         text        NOT NULL,
    tier            text        NOT NULL,
    reason          text        NOT NULL,
    status          text        NOT NULL,                 -- pending | approved | denied | withdrawn | superseded
    decided_by      text,
    note            text,
    max_amount      numeric(20, 4),
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz,
    version         bigint      NOT NULL DEFAULT 0
);
CREATE INDEX approval_payment ON approval (payment_id);
CREATE INDEX approval_project_status ON approval (project, status);

-- The budget ledger. A reservation is written, under a per-project lock, in the same
-- transaction that checked the budget; it is captured when paid and released when not.
CREATE TABLE budget_reservation (
    id              bigserial PRIMARY KEY,
    payment_id      text        NOT NULL UNIQUE REFERENCES payment (id),
    project         text        NOT NULL,
    task            text        NOT NULL,
    seller_host     text        NOT NULL,
    amount          numeric(20, 4) NOT NULL CHECK (amount >= 0),
    currency        text        NOT NULL,
    state           text        NOT NULL,                 -- reserved | captured | released
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_reservation_window ON budget_reservation (project, created_at) WHERE state <> 'released';
CREATE INDEX budget_reservation_task ON budget_reservation (project, task) WHERE state <> 'released';

-- Append-only audit trail: every step of every payment.
CREATE TABLE audit_event (
    seq                 bigserial PRIMARY KEY,
    ts                  timestamptz NOT NULL,
    event               text        NOT NULL,
    agent               text,
    project             text,
    task                text,
    action              text        NOT NULL,
    resource            text,
    decision            text,                             -- ALLOW | DENY | ASK
    reason              text,
    amount              numeric(20, 4),
    currency            text,
    payment_id          text,
    decision_id         text,
    approved_by         text,
    receipt_reference   text,
    http_status         integer,
    line                jsonb       NOT NULL              -- the exact JSONL line written to the audit file
);
CREATE INDEX audit_event_agent_task ON audit_event (agent, task, seq);
CREATE INDEX audit_event_payment ON audit_event (payment_id, seq);

CREATE FUNCTION audit_event_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only();
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only();
