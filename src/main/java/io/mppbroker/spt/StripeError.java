package io.mppbroker.spt;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal in Stripe's shape, {@code {"error":{"type","code","message","param",...}}}, for clients that speak
 * Stripe's API (mppx prints {@code error.message}). Messages never echo keys or tokens.
 */
public final class StripeError extends RuntimeException {

    public static final String INVALID_REQUEST = "invalid_request_error";
    public static final String CARD_ERROR = "card_error";
    public static final String API_ERROR = "api_error";

    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final Map<String, String> extra = new LinkedHashMap<>();
    private final Map<String, String> headers = new LinkedHashMap<>();

    public StripeError(int status, String type, String code, String message, String param) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    public static StripeError invalid(String code, String param, String message) {
        return new StripeError(400, INVALID_REQUEST, code, message, param);
    }

    /** An extra field of the error object, e.g. {@code payment_id}. */
    public StripeError with(String name, String value) {
        if (value != null) {
            extra.put(name, value);
        }
        return this;
    }

    public StripeError header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public int status() { return status; }
    public String code() { return code; }
    public String param() { return param; }

    public Response toResponse() {
        ObjectNode error = JsonNodeFactory.instance.objectNode();
        error.put("type", type);
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        error.put("message", getMessage());
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        extra.forEach(error::put);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("error", error);
        Response.ResponseBuilder r = Response.status(status).type(MediaType.APPLICATION_JSON).entity(body.toString());
        headers.forEach(r::header);
        return r.build();
    }
}
