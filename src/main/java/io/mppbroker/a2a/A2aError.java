package io.mppbroker.a2a;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON-RPC error as A2A 1.0 maps it (§5.4, §9.5): the numeric code, a message, and {@code data} details
 * typed with {@code @type} (google.rpc.ErrorInfo / BadRequest).
 */
public class A2aError extends RuntimeException {

    private static final String DOMAIN = "a2a-protocol.org";

    private final int code;
    private final int httpStatus;
    private final List<Map<String, Object>> data;

    A2aError(int code, String message, int httpStatus, List<Map<String, Object>> data) {
        super(message);
        this.code = code;
        this.httpStatus = httpStatus;
        this.data = data;
    }

    public int code() { return code; }
    /** JSON-RPC errors travel in a 200 response, except a missing or unknown token (401). */
    public int httpStatus() { return httpStatus; }
    public List<Map<String, Object>> data() { return data; }

    private static A2aError a2a(int code, String message, String reason, Map<String, Object> metadata) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("@type", "type.googleapis.com/google.rpc.ErrorInfo");
        info.put("reason", reason);
        info.put("domain", DOMAIN);
        Map<String, Object> meta = new LinkedHashMap<>(metadata);
        meta.put("timestamp", Instant.now().toString());
        info.put("metadata", meta);
        return new A2aError(code, message, 200, List.of(info));
    }

    public static A2aError parse(String detail) {
        return new A2aError(-32700, "Invalid JSON payload: " + detail, 200, List.of());
    }

    public static A2aError invalidRequest(String detail) {
        return new A2aError(-32600, "Request payload validation error: " + detail, 200, List.of());
    }

    public static A2aError methodNotFound(String method) {
        return new A2aError(-32601, "Method not found: " + method, 200, List.of());
    }

    public static A2aError invalidParams(String field, String description) {
        Map<String, Object> badRequest = new LinkedHashMap<>();
        badRequest.put("@type", "type.googleapis.com/google.rpc.BadRequest");
        badRequest.put("fieldViolations", List.of(Map.of("field", field, "description", description)));
        return new A2aError(-32602, "Invalid parameters: " + description, 200, List.of(badRequest));
    }

    public static A2aError internal() {
        return new A2aError(-32603, "Internal error", 200, List.of());
    }

    /** Authentication is not an A2A error type; -32000 is JSON-RPC's implementation-defined server error. */
    public static A2aError unauthenticated(String detail) {
        return new A2aError(-32000, "Authentication required: " + detail, 401, List.of());
    }

    public static A2aError taskNotFound(String taskId) {
        return a2a(-32001, "Task not found", "TASK_NOT_FOUND", taskId == null ? Map.of() : Map.of("taskId", taskId));
    }

    public static A2aError taskNotCancelable(String taskId, String why) {
        return a2a(-32002, "Task cannot be canceled: " + why, "TASK_NOT_CANCELABLE", Map.of("taskId", taskId));
    }

    public static A2aError unsupported(String what) {
        return a2a(-32004, "Unsupported operation: " + what, "UNSUPPORTED_OPERATION", Map.of());
    }

    public static A2aError contentTypeNotSupported(String what) {
        return a2a(-32005, "Content type not supported: " + what, "CONTENT_TYPE_NOT_SUPPORTED", Map.of());
    }

    public static A2aError versionNotSupported(String version) {
        return a2a(-32009, "A2A version not supported: " + (version == null || version.isBlank() ? "(none, read as 0.3)" : version)
                + "; this agent speaks 1.0 (send A2A-Version: 1.0)", "VERSION_NOT_SUPPORTED", Map.of("supported", "1.0"));
    }
}
