-- V1's partial indexes on budget_reservation said WHERE state <> 'released', but the ledger stores the enum
-- name (BudgetReservation.State: 'RESERVED', 'CAPTURED', 'RELEASED'). A query's "state <> 'RELEASED'" does not
-- imply "state <> 'released'", so the planner could never use them for budget sums: every budget check and
-- recurring-payment count read the project's reservations some other way (a sequential scan on a large table).
-- The other partial indexes (approval, outbox, payment, decision, audit_event, policy_overlay) match what their
-- columns hold.
DROP INDEX budget_reservation_window;
DROP INDEX budget_reservation_task;
CREATE INDEX budget_reservation_window ON budget_reservation (project, created_at) WHERE state <> 'RELEASED';
CREATE INDEX budget_reservation_task ON budget_reservation (project, task) WHERE state <> 'RELEASED';
