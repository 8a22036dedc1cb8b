package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Block Kit checks as Slack applies them to {@code blocks} of messages and modals, with the documented limits
 * (https://api.slack.com/reference/block-kit). Each problem is reported Slack's way: a message and a JSON pointer,
 * e.g. {@code must be less than 3001 characters [json-pointer:/blocks/0/text/text]}.
 * <p>
 * Covered in depth: section, actions, context, header, divider, image, input, markdown blocks; text, confirm and
 * option objects; button, select, overflow, radio/checkbox and text-input elements. Other block and element types
 * Slack knows are accepted with only their {@code type}, {@code block_id} and {@code action_id} checked.
 */
final class SlackBlockKit {

    enum Surface {
        MESSAGE(50), MODAL(100);

        final int maxBlocks;

        Surface(int maxBlocks) {
            this.maxBlocks = maxBlocks;
        }
    }

    private static final Set<String> BLOCK_TYPES = Set.of("section", "actions", "context", "context_actions",
            "divider", "file", "header", "image", "input", "markdown", "rich_text", "table", "video");
    /** Interactive elements allowed in actions blocks, section accessories and input blocks. */
    private static final Set<String> ELEMENT_TYPES = Set.of("button", "checkboxes", "datepicker", "datetimepicker",
            "email_text_input", "file_input", "image", "multi_static_select", "multi_external_select",
            "multi_users_select", "multi_conversations_select", "multi_channels_select", "number_input", "overflow",
            "plain_text_input", "radio_buttons", "rich_text_input", "static_select", "external_select",
            "users_select", "conversations_select", "channels_select", "timepicker", "url_text_input",
            "workflow_button", "feedback_buttons", "icon_button");
    private static final Set<String> SELECTS_WITH_OPTIONS = Set.of("static_select", "multi_static_select");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private final List<String> errors = new ArrayList<>();
    private final Set<String> blockIds = new HashSet<>();

    private SlackBlockKit() {
    }

    /** Problems with a {@code blocks} array; empty when valid. */
    static List<String> validateBlocks(JsonNode blocks, Surface surface, String pointer) {
        SlackBlockKit v = new SlackBlockKit();
        v.blocks(blocks, surface, pointer);
        return v.errors;
    }

    /** Problems with a modal view object ({@code views.open}, {@code views.update}); empty when valid. */
    static List<String> validateModal(JsonNode view, String pointer) {
        SlackBlockKit v = new SlackBlockKit();
        if (view == null || !view.isObject()) {
            v.error("must provide an object", pointer);
            return v.errors;
        }
        String type = view.path("type").asText(null);
        if (type == null) {
            v.error("missing required field: type", pointer);
        } else if (!type.equals("modal")) {
            v.error("unsupported type: " + type, pointer + "/type");
        }
        if (!view.has("title")) {
            v.error("missing required field: title", pointer);
        } else {
            v.plainText(view.get("title"), 24, pointer + "/title");
        }
        for (String button : List.of("close", "submit")) {
            if (view.has(button)) {
                v.plainText(view.get(button), 24, pointer + "/" + button);
            }
        }
        v.maxLength(view, "private_metadata", 3000, pointer);
        v.maxLength(view, "callback_id", 255, pointer);
        v.maxLength(view, "external_id", 255, pointer);
        JsonNode blocks = view.get("blocks");
        if (blocks == null) {
            v.error("missing required field: blocks", pointer);
        } else {
            v.blocks(blocks, Surface.MODAL, pointer + "/blocks");
            boolean hasInput = false;
            for (JsonNode b : blocks) {
                hasInput |= "input".equals(b.path("type").asText());
            }
            if (hasInput && !view.has("submit")) {
                v.error("must provide submit when using input blocks", pointer);
            }
        }
        return v.errors;
    }

    /** A copy of {@code blocks} where each block lacking a {@code block_id} gets a generated one, as Slack does. */
    static ArrayNode withBlockIds(JsonNode blocks) {
        ArrayNode copy = ((ArrayNode) blocks).deepCopy();
        for (JsonNode b : copy) {
            if (b.isObject() && !b.has("block_id")) {
                StringBuilder id = new StringBuilder();
                for (int i = 0; i < 5; i++) {
                    id.append(ID_CHARS.charAt(RANDOM.nextInt(ID_CHARS.length())));
                }
                ((ObjectNode) b).put("block_id", id.toString());
            }
        }
        return copy;
    }

    // ---- blocks ----

    private void blocks(JsonNode blocks, Surface surface, String pointer) {
        if (!blocks.isArray()) {
            error("must provide an array", pointer);
            return;
        }
        if (blocks.size() > surface.maxBlocks) {
            error("no more than " + surface.maxBlocks + " items allowed", pointer);
        }
        for (int i = 0; i < blocks.size(); i++) {
            block(blocks.get(i), surface, pointer + "/" + i);
        }
    }

    private void block(JsonNode block, Surface surface, String p) {
        if (!block.isObject()) {
            error("must provide an object", p);
            return;
        }
        String type = block.path("type").isTextual() ? block.get("type").asText() : null;
        if (type == null) {
            error("missing required field: type", p);
            return;
        }
        if (!BLOCK_TYPES.contains(type)) {
            error("unsupported type: " + type, p + "/type");
            return;
        }
        if (block.has("block_id")) {
            String id = block.get("block_id").asText();
            if (id.length() > 255) {
                error("must be less than 256 characters", p + "/block_id");
            } else if (!blockIds.add(id)) {
                error("duplicate block_id: " + id, p + "/block_id");
            }
        }
        switch (type) {
            case "section" -> section(block, p);
            case "actions" -> actions(block, p);
            case "context" -> context(block, p);
            case "header" -> required(block, "text", p, t -> plainText(t, 150, p + "/text"));
            case "image" -> image(block, p, true);
            case "input" -> input(block, p);
            case "markdown" -> {
                if (!block.path("text").isTextual()) {
                    error("missing required field: text", p);
                } else {
                    length(block.get("text").asText(), 1, 12000, p + "/text");
                }
            }
            case "rich_text" -> {
                if (!block.path("elements").isArray()) {
                    error("missing required field: elements", p);
                }
            }
            default -> {
                // divider, file, video, table, context_actions: type-level checks only
            }
        }
    }

    private void section(JsonNode block, String p) {
        boolean hasText = block.has("text");
        boolean hasFields = block.has("fields");
        if (!hasText && !hasFields) {
            error("must provide either text or fields", p);
        }
        if (hasText) {
            textObject(block.get("text"), 3000, p + "/text");
        }
        if (hasFields) {
            JsonNode fields = block.get("fields");
            if (!fields.isArray()) {
                error("must provide an array", p + "/fields");
            } else {
                if (fields.size() > 10) {
                    error("no more than 10 items allowed", p + "/fields");
                }
                for (int i = 0; i < fields.size(); i++) {
                    textObject(fields.get(i), 2000, p + "/fields/" + i);
                }
            }
        }
        if (block.has("accessory")) {
            element(block.get("accessory"), p + "/accessory", new HashSet<>());
        }
    }

    private void actions(JsonNode block, String p) {
        JsonNode elements = block.get("elements");
        if (elements == null || !elements.isArray()) {
            error("missing required field: elements", p);
            return;
        }
        if (elements.isEmpty()) {
            error("must provide at least 1 item", p + "/elements");
        }
        if (elements.size() > 25) {
            error("no more than 25 items allowed", p + "/elements");
        }
        Set<String> actionIds = new HashSet<>();
        for (int i = 0; i < elements.size(); i++) {
            element(elements.get(i), p + "/elements/" + i, actionIds);
        }
    }

    private void context(JsonNode block, String p) {
        JsonNode elements = block.get("elements");
        if (elements == null || !elements.isArray()) {
            error("missing required field: elements", p);
            return;
        }
        if (elements.isEmpty()) {
            error("must provide at least 1 item", p + "/elements");
        }
        if (elements.size() > 10) {
            error("no more than 10 items allowed", p + "/elements");
        }
        for (int i = 0; i < elements.size(); i++) {
            JsonNode e = elements.get(i);
            String ep = p + "/elements/" + i;
            String type = e.path("type").asText("");
            if (type.equals("image")) {
                image(e, ep, false);
            } else if (type.equals("plain_text") || type.equals("mrkdwn")) {
                textObject(e, 3000, ep);
            } else {
                error("unsupported type: " + type, ep + "/type");
            }
        }
    }

    private void input(JsonNode block, String p) {
        required(block, "label", p, l -> plainText(l, 2000, p + "/label"));
        if (block.has("hint")) {
            plainText(block.get("hint"), 2000, p + "/hint");
        }
        required(block, "element", p, e -> element(e, p + "/element", new HashSet<>()));
    }

    private void image(JsonNode node, String p, boolean isBlock) {
        if (!node.has("image_url") && !node.has("slack_file")) {
            error("must provide either image_url or slack_file", p);
        }
        maxLength(node, "image_url", 3000, p);
        if (!node.path("alt_text").isTextual()) {
            error("missing required field: alt_text", p);
        } else {
            length(node.get("alt_text").asText(), 1, 2000, p + "/alt_text");
        }
        if (isBlock && node.has("title")) {
            plainText(node.get("title"), 2000, p + "/title");
        }
    }

    // ---- elements ----

    private void element(JsonNode e, String p, Set<String> actionIdsInBlock) {
        if (!e.isObject()) {
            error("must provide an object", p);
            return;
        }
        String type = e.path("type").isTextual() ? e.get("type").asText() : null;
        if (type == null) {
            error("missing required field: type", p);
            return;
        }
        if (!ELEMENT_TYPES.contains(type)) {
            error("unsupported type: " + type, p + "/type");
            return;
        }
        if (e.has("action_id")) {
            String actionId = e.get("action_id").asText();
            length(actionId, 1, 255, p + "/action_id");
            if (!actionIdsInBlock.add(actionId)) {
                error("duplicate action_id: " + actionId, p + "/action_id");
            }
        }
        if (e.has("confirm")) {
            confirm(e.get("confirm"), p + "/confirm");
        }
        switch (type) {
            case "button" -> {
                required(e, "text", p, t -> plainText(t, 75, p + "/text"));
                maxLength(e, "value", 2000, p);
                maxLength(e, "url", 3000, p);
                maxLength(e, "accessibility_label", 75, p);
                if (e.has("style")) {
                    String style = e.get("style").asText();
                    if (!style.equals("primary") && !style.equals("danger")) {
                        error("must be one of: primary, danger", p + "/style");
                    }
                }
            }
            case "static_select", "multi_static_select" -> {
                if (e.has("placeholder")) {
                    plainText(e.get("placeholder"), 150, p + "/placeholder");
                }
                if (e.has("options") == e.has("option_groups")) {
                    error("must provide exactly one of options or option_groups", p);
                }
                if (e.has("options")) {
                    options(e.get("options"), 1, 100, p + "/options", false);
                }
            }
            case "overflow" -> options(e.get("options"), 1, 5, p + "/options", false);
            case "radio_buttons", "checkboxes" -> options(e.get("options"), 1, 10, p + "/options", true);
            case "plain_text_input" -> {
                if (e.has("placeholder")) {
                    plainText(e.get("placeholder"), 150, p + "/placeholder");
                }
                if (e.has("max_length") && e.get("max_length").asInt() > 3000) {
                    error("must be less than 3001", p + "/max_length");
                }
                if (e.has("min_length") && e.get("min_length").asInt() > 3000) {
                    error("must be less than 3001", p + "/min_length");
                }
            }
            default -> {
                // other elements: action_id and confirm were checked above
            }
        }
        if (SELECTS_WITH_OPTIONS.contains(type) && e.has("initial_option") && e.has("options")) {
            String initial = e.get("initial_option").path("value").asText();
            boolean found = false;
            for (JsonNode o : e.get("options")) {
                found |= initial.equals(o.path("value").asText());
            }
            if (!found) {
                error("initial_option must match one of the options", p + "/initial_option");
            }
        }
    }

    private void options(JsonNode options, int min, int max, String p, boolean mrkdwnAllowed) {
        if (options == null || !options.isArray()) {
            error("must provide an array", p);
            return;
        }
        if (options.size() < min) {
            error("must provide at least " + min + " items", p);
        }
        if (options.size() > max) {
            error("no more than " + max + " items allowed", p);
        }
        for (int i = 0; i < options.size(); i++) {
            JsonNode o = options.get(i);
            String op = p + "/" + i;
            if (mrkdwnAllowed) {
                required(o, "text", op, t -> textObject(t, 75, op + "/text"));
            } else {
                required(o, "text", op, t -> plainText(t, 75, op + "/text"));
            }
            if (!o.path("value").isTextual()) {
                error("missing required field: value", op);
            } else {
                length(o.get("value").asText(), 1, 150, op + "/value");
            }
            if (o.has("description")) {
                textObject(o.get("description"), 75, op + "/description");
            }
            maxLength(o, "url", 3000, op);
        }
    }

    private void confirm(JsonNode c, String p) {
        required(c, "title", p, t -> plainText(t, 100, p + "/title"));
        required(c, "text", p, t -> textObject(t, 300, p + "/text"));
        required(c, "confirm", p, t -> plainText(t, 30, p + "/confirm"));
        required(c, "deny", p, t -> plainText(t, 30, p + "/deny"));
    }

    // ---- composition objects and primitives ----

    private void textObject(JsonNode t, int max, String p) {
        if (!t.isObject()) {
            error("must provide an object", p);
            return;
        }
        String type = t.path("type").asText(null);
        if (type == null) {
            error("missing required field: type", p);
            return;
        }
        if (!type.equals("plain_text") && !type.equals("mrkdwn")) {
            error("must be one of: plain_text, mrkdwn", p + "/type");
            return;
        }
        if (!t.path("text").isTextual()) {
            error("missing required field: text", p);
            return;
        }
        length(t.get("text").asText(), 1, max, p + "/text");
        if (type.equals("mrkdwn") && t.has("emoji")) {
            error("emoji is only allowed for plain_text", p + "/emoji");
        }
    }

    private void plainText(JsonNode t, int max, String p) {
        if (t.isObject() && t.has("type") && !"plain_text".equals(t.get("type").asText())) {
            error("must be a plain_text object", p + "/type");
            return;
        }
        textObject(t, max, p);
    }

    private void required(JsonNode node, String field, String p, java.util.function.Consumer<JsonNode> check) {
        if (!node.has(field) || node.get(field).isNull()) {
            error("missing required field: " + field, p);
        } else {
            check.accept(node.get(field));
        }
    }

    private void maxLength(JsonNode node, String field, int max, String p) {
        if (node.has(field) && node.get(field).isTextual()) {
            length(node.get(field).asText(), 0, max, p + "/" + field);
        }
    }

    private void length(String s, int min, int max, String p) {
        // Slack counts characters; code points are the closest measure
        int n = s.codePointCount(0, s.length());
        if (n < min) {
            error("must be more than " + (min - 1) + " characters", p);
        } else if (n > max) {
            error("must be less than " + (max + 1) + " characters", p);
        }
    }

    private void error(String message, String pointer) {
        errors.add(message + " [json-pointer:" + pointer + "]");
    }
}
