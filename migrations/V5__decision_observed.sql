-- Observe mode (policy key `mode: observe`): payments are never blocked by the policy; the broker pays and
-- records the verdict it would have given. Such decisions have basis 'autonomous', tier AUTO and rule 'mode';
-- the policy's own verdict is kept here so reports can show the difference (observed_tier <> tier).
-- NULL on every decision made in enforce mode or by a human.
ALTER TABLE decision
    ADD COLUMN observed_tier    text,                     -- AUTO | ASK | EXPLICIT | RECURRING | OVER_BUDGET | DENY
    ADD COLUMN observed_rule    text,                     -- the policy field that would have decided, e.g. tiers.ceiling
    ADD COLUMN observed_reason  text;                     -- the policy's sentence with the numbers

COMMENT ON COLUMN decision.basis IS 'policy | human | timeout | autonomous (observe mode: paid without enforcing; see observed_*)';
CREATE INDEX decision_observed ON decision (created_at) WHERE observed_tier IS NOT NULL;
