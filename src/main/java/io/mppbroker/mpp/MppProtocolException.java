package io.mppbroker.mpp;

/**
 * A seller's MPP message (challenge, request, receipt, credential) is malformed or unusable.
 *
 * <p>Messages are written to be shown to agents and operators as they are: they name the field and the rule
 * that failed and never contain credential or SPT values.
 */
public class MppProtocolException extends RuntimeException {

    public MppProtocolException(String message) {
        super(message);
    }
}
