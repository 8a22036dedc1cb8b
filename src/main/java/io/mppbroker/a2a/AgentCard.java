package io.mppbroker.a2a;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mppbroker.policy.Sha256;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The broker's A2A Agent Card (§4.4, §8), served at {@code /.well-known/agent-card.json} with caching headers. */
@ApplicationScoped
public class AgentCard {

    public static final String PATH = "/.well-known/agent-card.json";
    static final String SECURITY_SCHEME = "brokerToken";

    private final A2aConfig config;
    private final String version;

    public AgentCard(A2aConfig config,
                     @ConfigProperty(name = "quarkus.application.version", defaultValue = "0.1.0") String version) {
        this.config = config;
        this.version = version;
    }

    void serve(RoutingContext ctx) {
        String base = config.publicUrl().orElseGet(() -> ctx.request().scheme() + "://" + ctx.request().getHeader("Host"));
        String body = card(base.endsWith("/") ? base.substring(0, base.length() - 1) : base).toString();
        String etag = "\"" + Sha256.hex(body).substring(0, 32) + "\"";
        ctx.response().putHeader("Cache-Control", "public, max-age=300").putHeader("ETag", etag);
        if (etag.equals(ctx.request().getHeader("If-None-Match"))) {
            ctx.response().setStatusCode(304).end();
            return;
        }
        ctx.response().putHeader("Content-Type", "application/json").end(body);
    }

    public ObjectNode card(String baseUrl) {
        ObjectNode card = TaskJson.MAPPER.createObjectNode();
        card.put("name", "mpp-broker");
        card.put("description", "Payment-authorization broker for AI agents: pays MPP (HTTP 402) challenges within the "
                + "project's budgets and tiers, asks a human when the policy says so, and turns access requests into "
                + "scoped, expiring grants that a human approves. Tasks wait in input-required (payment approval) or "
                + "auth-required (access approval) while a human decides.");
        ObjectNode jsonRpc = card.putArray("supportedInterfaces").addObject();
        jsonRpc.put("url", baseUrl + A2aEndpoint.PATH);
        jsonRpc.put("protocolBinding", "JSONRPC");
        jsonRpc.put("protocolVersion", A2aEndpoint.VERSION);
        card.putObject("provider").put("organization", "mpp-broker").put("url", baseUrl);
        card.put("version", version);
        card.put("documentationUrl", baseUrl + "/q/swagger-ui");
        card.putObject("capabilities").put("streaming", true).put("pushNotifications", true).put("extendedAgentCard", false);
        card.putObject("securitySchemes").putObject(SECURITY_SCHEME).putObject("httpAuthSecurityScheme")
                .put("scheme", "Bearer")
                .put("description", "the agent's broker token, as listed (by SHA-256) in its project's policy file");
        card.putArray("securityRequirements").addObject().putObject("schemes").putObject(SECURITY_SCHEME).putArray("list");
        card.putArray("defaultInputModes").add("application/json");
        card.putArray("defaultOutputModes").add("application/json").add("text/plain");
        ArrayNode skills = card.putArray("skills");
        skill(skills, "pay", "Pay through the broker",
                "Fetches a paid resource: pays its MPP challenge if the project's policy allows, or waits for a human "
                        + "(TASK_STATE_INPUT_REQUIRED). Data part: the body of POST /v1/payments "
                        + "{\"task\",\"purpose\",\"request\":{\"method\",\"url\",\"headers\",\"body\"}}. The artifact is the "
                        + "payment with the seller's response.",
                new String[] {"payment", "mpp", "http-402", "stripe"},
                "{\"task\":\"q3-report\",\"purpose\":\"market data\",\"request\":{\"method\":\"GET\",\"url\":\"https://data.example.com/report\"}}");
        skill(skills, "request-access", "Request access",
                "Asks for a grant the agent lacks (deny by default): the broker proposes the least-privilege, expiring "
                        + "grant as a policy diff and a human approves it (TASK_STATE_AUTH_REQUIRED meanwhile). Data part: the "
                        + "body of POST /v1/access-requests {\"justification\",\"action\"?,\"resource\"?,\"ttl\"?}; without "
                        + "action and resource, the agent's most recent denial. The artifact is the grant.",
                new String[] {"access", "grant", "least-privilege", "approval"},
                "{\"justification\":\"reconcile November charges against the ledger\",\"ttl\":\"2h\"}");
        return card;
    }

    private static void skill(ArrayNode skills, String id, String name, String description, String[] tags, String example) {
        ObjectNode skill = skills.addObject();
        skill.put("id", id);
        skill.put("name", name);
        skill.put("description", description);
        ArrayNode t = skill.putArray("tags");
        for (String tag : tags) {
            t.add(tag);
        }
        skill.putArray("examples").add(example);
        skill.putArray("inputModes").add("application/json");
        skill.putArray("outputModes").add("application/json");
    }
}
