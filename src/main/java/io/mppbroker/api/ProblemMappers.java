package io.mppbroker.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error leaves the API as problem+json, including the framework's own (404, 405, bad JSON). */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem problem) {
        return ProblemJson.response(problem);
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        // Jackson's original message names the field and position; it never contains header values.
        return ProblemJson.response(400, "invalid-json", "Invalid JSON body", e.getOriginalMessage(), Map.of());
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String title = Response.Status.fromStatusCode(status) != null
                ? Response.Status.fromStatusCode(status).getReasonPhrase() : "Error";
        String code = status == 404 ? "not-found" : status == 405 ? "method-not-allowed"
                : status == 415 ? "unsupported-media-type" : status == 406 ? "not-acceptable" : "http-" + status;
        return ProblemJson.response(status, code, title, e.getMessage(), Map.of());
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("unexpected error", e);
        return ProblemJson.response(500, "internal-error", "Internal error",
                "the broker hit an unexpected error; nothing was paid by this request unless its status says so", Map.of());
    }
}
