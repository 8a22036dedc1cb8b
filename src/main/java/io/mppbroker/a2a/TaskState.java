package io.mppbroker.a2a;

/** A2A 1.0 task states, named as the JSON binding writes them (ProtoJSON enum names). */
public enum TaskState {
    TASK_STATE_SUBMITTED,
    TASK_STATE_WORKING,
    TASK_STATE_INPUT_REQUIRED,
    TASK_STATE_AUTH_REQUIRED,
    TASK_STATE_COMPLETED,
    TASK_STATE_FAILED,
    TASK_STATE_CANCELED,
    TASK_STATE_REJECTED;

    public boolean isTerminal() {
        return this == TASK_STATE_COMPLETED || this == TASK_STATE_FAILED || this == TASK_STATE_CANCELED
                || this == TASK_STATE_REJECTED;
    }

    /** Waiting for someone other than the broker (here: a human approver). */
    public boolean isInterrupted() {
        return this == TASK_STATE_INPUT_REQUIRED || this == TASK_STATE_AUTH_REQUIRED;
    }
}
