package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlackBlockKitTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static List<String> message(String blocks) throws Exception {
        return SlackBlockKit.validateBlocks(JSON.readTree(blocks), SlackBlockKit.Surface.MESSAGE, "/blocks");
    }

    static List<String> modal(String view) throws Exception {
        return SlackBlockKit.validateModal(JSON.readTree(view), "/view");
    }

    @Test
    void validMessageBlocksPass() throws Exception {
        assertEquals(List.of(), message("""
                [{"type":"header","text":{"type":"plain_text","text":"Payment approval"}},
                 {"type":"section","fields":[{"type":"mrkdwn","text":"*Amount*\\n2.50 USD"}],
                  "accessory":{"type":"overflow","action_id":"more","options":[{"text":{"type":"plain_text","text":"Details"},"value":"d"}]}},
                 {"type":"context","elements":[{"type":"mrkdwn","text":"via mpp-broker"}]},
                 {"type":"actions","block_id":"decision","elements":[
                   {"type":"button","action_id":"approve","text":{"type":"plain_text","text":"Approve"},"value":"dec_1","style":"primary",
                    "confirm":{"title":{"type":"plain_text","text":"Sure?"},"text":{"type":"mrkdwn","text":"Pay 2.50 USD"},
                               "confirm":{"type":"plain_text","text":"Pay"},"deny":{"type":"plain_text","text":"Back"}}}]},
                 {"type":"divider"}]"""));
    }

    @Test
    void problemsAreReportedWithPointers() throws Exception {
        assertEquals(List.of("must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"),
                message("[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"action_id\":\"a\",\"text\":"
                        + "{\"type\":\"plain_text\",\"text\":\"" + "x".repeat(76) + "\"}}]}]"));
        assertEquals(List.of("must be a plain_text object [json-pointer:/blocks/0/text/type]"),
                message("[{\"type\":\"header\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"}}]"));
        assertEquals(List.of("duplicate block_id: b [json-pointer:/blocks/1/block_id]"),
                message("[{\"type\":\"divider\",\"block_id\":\"b\"},{\"type\":\"divider\",\"block_id\":\"b\"}]"));
        assertEquals(List.of("duplicate action_id: a [json-pointer:/blocks/0/elements/1/action_id]"),
                message("[{\"type\":\"actions\",\"elements\":["
                        + "{\"type\":\"button\",\"action_id\":\"a\",\"text\":{\"type\":\"plain_text\",\"text\":\"1\"}},"
                        + "{\"type\":\"button\",\"action_id\":\"a\",\"text\":{\"type\":\"plain_text\",\"text\":\"2\"}}]}]"));
        assertEquals(List.of("must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
                message("[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"\"}}]"));
        assertEquals(List.of("must provide either text or fields [json-pointer:/blocks/0]"),
                message("[{\"type\":\"section\"}]"));
        assertEquals(List.of("must be one of: primary, danger [json-pointer:/blocks/0/elements/0/style]"),
                message("[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"style\":\"green\","
                        + "\"text\":{\"type\":\"plain_text\",\"text\":\"1\"}}]}]"));
    }

    @Test
    void modalsNeedATitleAndASubmitWithInputs() throws Exception {
        String input = "{\"type\":\"input\",\"block_id\":\"r\",\"label\":{\"type\":\"plain_text\",\"text\":\"Why\"},"
                + "\"element\":{\"type\":\"plain_text_input\",\"action_id\":\"t\"}}";
        assertEquals(List.of(), modal("{\"type\":\"modal\",\"title\":{\"type\":\"plain_text\",\"text\":\"Deny\"},"
                + "\"submit\":{\"type\":\"plain_text\",\"text\":\"Deny\"},\"blocks\":[" + input + "]}"));
        assertEquals(List.of("must provide submit when using input blocks [json-pointer:/view]"),
                modal("{\"type\":\"modal\",\"title\":{\"type\":\"plain_text\",\"text\":\"Deny\"},\"blocks\":[" + input + "]}"));
        List<String> problems = modal("{\"type\":\"home\",\"private_metadata\":\"" + "m".repeat(3001) + "\",\"blocks\":[]}");
        assertTrue(problems.contains("unsupported type: home [json-pointer:/view/type]"), problems.toString());
        assertTrue(problems.contains("missing required field: title [json-pointer:/view]"), problems.toString());
        assertTrue(problems.contains("must be less than 3001 characters [json-pointer:/view/private_metadata]"), problems.toString());
        JsonNode hundredOne = JSON.readTree("[" + "{\"type\":\"divider\"},".repeat(100) + "{\"type\":\"divider\"}]");
        assertEquals(List.of("no more than 100 items allowed [json-pointer:/blocks]"),
                SlackBlockKit.validateBlocks(hundredOne, SlackBlockKit.Surface.MODAL, "/blocks"));
    }
}
