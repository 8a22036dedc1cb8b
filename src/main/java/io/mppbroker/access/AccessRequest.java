package io.mppbroker.access;

import java.util.Map;

/**
 * What an agent wants to do: {@code action} as {@code <service>:<action>} ({@code aws:s3:GetObject},
 * {@code git:push}, {@code tools:Bash}, {@code stripe:charges:read}), the {@code resource} it acts on (may be null)
 * and {@code context}: {@code branch} for git, {@code command} for tools (checked against grant {@code deny}).
 */
public record AccessRequest(String action, String resource, Map<String, String> context) {

    public AccessRequest {
        context = context == null ? Map.of() : Map.copyOf(context);
    }

    public String service() {
        int colon = action.indexOf(':');
        return colon < 0 ? action : action.substring(0, colon);
    }

    /** The action within its service ({@code s3:GetObject} of {@code aws:s3:GetObject}); empty without one. */
    public String serviceAction() {
        int colon = action.indexOf(':');
        return colon < 0 ? "" : action.substring(colon + 1);
    }
}
