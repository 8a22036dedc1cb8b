-- An access request can carry an idempotency key (REST Idempotency-Key, or "a2a:<messageId>"): a resent request,
-- even one sent twice at once, finds the first instead of opening a second request and a second approval.
ALTER TABLE access_request ADD COLUMN idempotency_key text;
ALTER TABLE access_request ADD COLUMN request_hash text;
CREATE UNIQUE INDEX access_request_idempotency ON access_request (project, agent, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
