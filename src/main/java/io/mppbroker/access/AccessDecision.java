package io.mppbroker.access;

/** ALLOW with the grant that allowed it, or DENY with why; {@code grantId} is null on DENY unless a grant's deny list refused. */
public record AccessDecision(Verdict verdict, String grantId, String reason) {

    public enum Verdict { ALLOW, DENY }

    public boolean allowed() {
        return verdict == Verdict.ALLOW;
    }

    static AccessDecision allow(String grantId, String reason) {
        return new AccessDecision(Verdict.ALLOW, grantId, reason);
    }

    static AccessDecision deny(String grantId, String reason) {
        return new AccessDecision(Verdict.DENY, grantId, reason);
    }
}
