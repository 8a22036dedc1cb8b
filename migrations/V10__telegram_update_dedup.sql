-- Several nodes: Telegram re-delivers an update whose answer was slow, possibly to another node behind the
-- load balancer. The first delivery claims the update id here; re-deliveries on any node are ignored.
CREATE TABLE telegram_update (
    update_id    bigint      PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telegram_update_received ON telegram_update (received_at);
