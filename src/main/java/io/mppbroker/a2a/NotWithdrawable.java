package io.mppbroker.a2a;

/** The record behind a task is past the point where it could be withdrawn (already decided or final). */
public class NotWithdrawable extends RuntimeException {
    public NotWithdrawable(String why) {
        super(why);
    }
}
