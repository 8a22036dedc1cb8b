package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TelegramTextTest {

    static JsonNode only(TelegramText.Parsed p) {
        assertEquals(1, p.entities().size(), p.entities().toString());
        return p.entities().get(0);
    }

    @Test
    void plainTextIsOnlyTrimmed() {
        TelegramText.Parsed p = TelegramText.parse("\n 2.50 USD <b> & *x* \n", null);
        assertEquals("2.50 USD <b> & *x*", p.text());
        assertTrue(p.entities().isEmpty());
    }

    @Test
    void htmlEntitiesTagsAndPreLanguage() {
        TelegramText.Parsed p = TelegramText.parse("<pre><code class=\"language-json\">{\"a\":1}</code></pre>", "HTML");
        assertEquals("{\"a\":1}", p.text());
        JsonNode pre = only(p);
        assertEquals("pre", pre.get("type").asText());
        assertEquals("json", pre.get("language").asText());

        TelegramText.Parsed q = TelegramText.parse("AT&T &lt;b&gt; &#x1F4B8; <i>x</i>", "html");
        assertEquals("AT&T <b> \uD83D\uDCB8 x", q.text());
        assertEquals(12, only(q).get("offset").asInt(), "offsets count UTF-16 units: the emoji is two");

        assertEquals("Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\"",
                assertThrows(TelegramText.ParseError.class, () -> TelegramText.parse("<b><i>x</b></i>", "HTML")).getMessage());
        assertThrows(TelegramText.ParseError.class, () -> TelegramText.parse("<span>x</span>", "HTML"));
        assertEquals("spoiler", only(TelegramText.parse("<span class=\"tg-spoiler\">x</span>", "HTML")).get("type").asText());
        assertThrows(TelegramText.ParseError.class, () -> TelegramText.parse("x</b>", "HTML"));
        assertThrows(TelegramText.UnsupportedParseMode.class, () -> TelegramText.parse("x", "rst"));
    }

    @Test
    void markdownV2LinksCodeQuotesAndEscapes() {
        TelegramText.Parsed link = TelegramText.parse("[see \\(1\\)](https://example.com/a_(b\\))", "MarkdownV2");
        assertEquals("see (1)", link.text());
        assertEquals("https://example.com/a_(b)", only(link).get("url").asText());

        TelegramText.Parsed code = TelegramText.parse("`a.b_c\\`` ```java\nint x = 1;```", "MarkdownV2");
        assertEquals("a.b_c` int x = 1;", code.text(), "reserved characters need no escape inside code");
        assertEquals("code", code.entities().get(0).get("type").asText());
        assertEquals("java", code.entities().get(1).get("language").asText());

        TelegramText.Parsed quote = TelegramText.parse(">quoted\n>more\nafter", "MarkdownV2");
        assertEquals("quoted\nmore\nafter", quote.text());
        assertEquals(11, only(quote).get("length").asInt());

        TelegramText.Parsed nested = TelegramText.parse("*bold _both_*__u__||s||~t~", "MarkdownV2");
        assertEquals("bold bothust", nested.text());
        assertEquals(5, nested.entities().size());

        for (String bad : new String[] {"a-b", "1+1=2", "#tag", "{x}", "done!", "a|b", "x)"}) {
            assertThrows(TelegramText.ParseError.class, () -> TelegramText.parse(bad, "MarkdownV2"), bad);
        }
        assertEquals("Can't find end of Italic entity at byte offset 3",
                assertThrows(TelegramText.ParseError.class, () -> TelegramText.parse("ok _open", "MarkdownV2")).getMessage());
    }

    @Test
    void legacyMarkdownIsLenientButNeedsClosedEntities() {
        TelegramText.Parsed p = TelegramText.parse("Pay *2.50 USD* to [seller](https://example.com) now!", "Markdown");
        assertEquals("Pay 2.50 USD to seller now!", p.text());
        assertEquals(2, p.entities().size());
        assertEquals("Can't find end of the entity starting at byte offset 4",
                assertThrows(TelegramText.ParseError.class, () -> TelegramText.parse("Pay *2.50", "Markdown")).getMessage());
    }
}
