package io.mppbroker.slack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.api.ApiProblem;
import io.mppbroker.approval.ApprovalDecision;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.eclipse.microprofile.context.ManagedExecutor;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

/**
 * Slack's interactivity request URL: button clicks on approval cards and the revision form. Slack wants an
 * answer within 3 seconds, so after checking the signature the work is handed to a worker and the request
 * answered at once; only the form's validation errors are answered in the response, as Slack requires.
 */
@Path("/slack/interactivity")
@Blocking
@Tag(name = "Slack", description = "Slack's interactivity request URL (signed by Slack)")
public class SlackInteractivityResource {

    private static final Logger LOG = Logger.getLogger(SlackInteractivityResource.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SlackConfig config;
    private final SlackAnswers answers;
    private final ManagedExecutor executor;
    private final SlackSignatureCheck signatures;

    public SlackInteractivityResource(SlackConfig config, SlackAnswers answers, ManagedExecutor executor) {
        this.config = config;
        this.answers = answers;
        this.executor = executor;
        this.signatures = config.signingSecret().filter(s -> !s.isBlank())
                .map(secret -> new SlackSignatureCheck(secret, config.requestTolerance())).orElse(null);
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Slack interactivity (block_actions, view_submission)",
            description = "Form body payload=<JSON>, signed with X-Slack-Signature / X-Slack-Request-Timestamp.")
    public Response interact(@HeaderParam("X-Slack-Request-Timestamp") String timestamp,
                             @HeaderParam("X-Slack-Signature") String signature, byte[] rawBody) {
        if (signatures == null) {
            throw new ApiProblem(503, "slack-not-configured", "Slack is not configured",
                    "broker.slack.signing-secret is not set, so requests from Slack cannot be verified");
        }
        String body = new String(rawBody, StandardCharsets.UTF_8);
        SlackSignatureCheck.Result check = signatures.check(timestamp, signature, body, Instant.now());
        if (check != SlackSignatureCheck.Result.VALID) {
            LOG.warnf("refused a Slack interactivity request: %s (timestamp %s, %d bytes)",
                    check.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '), timestamp, rawBody.length);
            throw ApiProblem.unauthorized(switch (check) {
                case MISSING_HEADERS -> "X-Slack-Request-Timestamp and X-Slack-Signature are required";
                case STALE_TIMESTAMP -> "X-Slack-Request-Timestamp is more than "
                        + config.requestTolerance().toMinutes() + " minutes from now";
                default -> "the request signature does not match";
            });
        }
        JsonNode payload = payload(body);
        String type = payload.path("type").asText("");
        return switch (type) {
            case "block_actions" -> blockActions(payload);
            case "view_submission" -> viewSubmission(payload);
            default -> Response.ok().build(); // view_closed, shortcuts...: nothing to do
        };
    }

    private Response blockActions(JsonNode payload) {
        String user = payload.path("user").path("id").asText(null);
        String channel = payload.path("container").path("channel_id").asText(payload.path("channel").path("id").asText(null));
        String triggerId = payload.path("trigger_id").asText(null);
        for (JsonNode action : payload.path("actions")) {
            String approvalId = action.path("value").asText(null);
            switch (action.path("action_id").asText("")) {
                case ApprovalBlocks.APPROVE -> later(() -> answers.button(user, channel, approvalId, ApprovalDecision.approve(null)));
                case ApprovalBlocks.DENY -> later(() -> answers.button(user, channel, approvalId, ApprovalDecision.deny(null)));
                case ApprovalBlocks.REVISE -> later(() -> answers.revise(user, channel, approvalId, triggerId));
                default -> { } // not one of ours
            }
        }
        return Response.ok().build();
    }

    private Response viewSubmission(JsonNode payload) {
        JsonNode view = payload.path("view");
        String callback = view.path("callback_id").asText();
        if (!RevisionModal.CALLBACK_ID.equals(callback) && !NarrowModal.CALLBACK_ID.equals(callback)) {
            return Response.ok().build();
        }
        RevisionModal.Submission submission = NarrowModal.CALLBACK_ID.equals(callback) ? NarrowModal.parse(view)
                : RevisionModal.parse(view);
        if (!submission.valid()) {
            return Response.ok(RevisionModal.errorsResponse(submission.errors()).toString(), MediaType.APPLICATION_JSON).build();
        }
        String user = payload.path("user").path("id").asText(null);
        later(() -> answers.revision(user, submission));
        return Response.ok().build(); // an empty 200 closes the form
    }

    private void later(Runnable work) {
        executor.runAsync(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                LOG.errorf(e, "handling a Slack interaction failed");
            }
        });
    }

    private static JsonNode payload(String body) {
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals("payload")) {
                try {
                    JsonNode node = JSON.readTree(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                    if (node != null && node.isObject()) {
                        return node;
                    }
                } catch (Exception e) {
                    break;
                }
            }
        }
        throw ApiProblem.badRequest("the body must be payload=<JSON object>");
    }
}
