package io.mppbroker.testkit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static io.mppbroker.testkit.WireParams.NODES;

/**
 * Telegram's message formatting (https://core.telegram.org/bots/api#formatting-options): turns text sent with a
 * {@code parse_mode} into the plain text and {@code entities} Telegram stores and returns, and refuses what
 * Telegram refuses with {@code can't parse entities: ...} — chiefly unescaped reserved characters in MarkdownV2
 * (a price like {@code 2.50} must be sent as {@code 2\.50}) and unknown or unbalanced tags in HTML.
 * Like Telegram, strips leading and trailing whitespace. Offsets and lengths are UTF-16 code units.
 * <p>
 * The error texts follow Telegram's wording where known; clients should key on status 400 and the
 * {@code can't parse entities} prefix, not on the detail.
 */
final class TelegramText {

    record Parsed(String text, ArrayNode entities) {
    }

    /** A formatting error; {@link #getMessage()} is the detail after {@code can't parse entities: }. */
    static final class ParseError extends RuntimeException {
        ParseError(String detail) {
            super(detail, null, false, false);
        }
    }

    static final class UnsupportedParseMode extends RuntimeException {
        UnsupportedParseMode() {
            super("unsupported parse_mode", null, false, false);
        }
    }

    private static final String MARKDOWN_V2_RESERVED = "_*[]()~`>#+-=|{}.!";
    private static final Set<String> HTML_TAGS = Set.of("b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
            "span", "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji");

    private TelegramText() {
    }

    static Parsed parse(String text, String parseMode) {
        if (parseMode == null || parseMode.isEmpty()) {
            return trim(text, new ArrayList<>());
        }
        return switch (parseMode.toLowerCase(Locale.ROOT)) {
            case "html" -> new Html(text).parse();
            case "markdownv2" -> new MarkdownV2(text).parse();
            case "markdown" -> new LegacyMarkdown(text).parse();
            default -> throw new UnsupportedParseMode();
        };
    }

    private static int byteOffset(String s, int charIndex) {
        return s.substring(0, charIndex).getBytes(StandardCharsets.UTF_8).length;
    }

    private static ObjectNode entity(String type, int offset, int length) {
        ObjectNode e = NODES.objectNode();
        e.put("offset", offset);
        e.put("length", length);
        e.put("type", type);
        return e;
    }

    /** Strips surrounding whitespace, shifting and clipping entities; drops empty ones; sorts them Telegram's way. */
    private static Parsed trim(String text, List<ObjectNode> entities) {
        int start = 0;
        int end = text.length();
        while (start < end && Character.isWhitespace(text.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        String trimmed = text.substring(start, end);
        List<ObjectNode> kept = new ArrayList<>();
        for (ObjectNode e : entities) {
            int from = Math.max(0, e.get("offset").asInt() - start);
            int to = Math.min(trimmed.length(), e.get("offset").asInt() + e.get("length").asInt() - start);
            if (to > from) {
                e.put("offset", from);
                e.put("length", to - from);
                kept.add(e);
            }
        }
        kept.sort(Comparator.<ObjectNode>comparingInt(e -> e.get("offset").asInt())
                .thenComparing(e -> -e.get("length").asInt()));
        ArrayNode array = NODES.arrayNode();
        kept.forEach(array::add);
        return new Parsed(trimmed, array);
    }

    // ---- HTML ----

    private static final class Html {
        private final String s;
        private final StringBuilder out = new StringBuilder();
        private final List<ObjectNode> entities = new ArrayList<>();
        private final List<Open> stack = new ArrayList<>();

        private record Open(String tag, int start, Map<String, String> attrs) {
        }

        Html(String s) {
            this.s = s;
        }

        Parsed parse() {
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '<') {
                    i = s.startsWith("</", i) ? endTag(i) : startTag(i);
                } else if (c == '&') {
                    i = entityReference(i);
                } else {
                    out.append(c);
                    i++;
                }
            }
            if (!stack.isEmpty()) {
                throw new ParseError("Can't find end tag corresponding to start tag \"" + top().tag + "\"");
            }
            return trim(out.toString(), entities);
        }

        private Open top() {
            return stack.get(stack.size() - 1);
        }

        private int startTag(int at) {
            int j = at + 1;
            while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '-')) {
                j++;
            }
            String tag = s.substring(at + 1, j).toLowerCase(Locale.ROOT);
            if (!HTML_TAGS.contains(tag)) {
                throw new ParseError("Unsupported start tag \"" + tag + "\" at byte offset " + byteOffset(s, at));
            }
            Map<String, String> attrs = new HashMap<>();
            while (true) {
                while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                if (j >= s.length()) {
                    throw new ParseError("Unclosed start tag at byte offset " + byteOffset(s, at));
                }
                if (s.charAt(j) == '>') {
                    j++;
                    break;
                }
                int nameStart = j;
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '-')) {
                    j++;
                }
                if (j == nameStart) {
                    throw new ParseError("Expected equal sign in declaration of an attribute of the tag \"" + tag
                            + "\" at byte offset " + byteOffset(s, at));
                }
                String name = s.substring(nameStart, j).toLowerCase(Locale.ROOT);
                String value = "";
                if (j < s.length() && s.charAt(j) == '=') {
                    j++;
                    if (j < s.length() && (s.charAt(j) == '"' || s.charAt(j) == '\'')) {
                        char quote = s.charAt(j);
                        int close = s.indexOf(quote, j + 1);
                        if (close < 0) {
                            throw new ParseError("Unclosed start tag at byte offset " + byteOffset(s, at));
                        }
                        value = decodeEntities(s.substring(j + 1, close));
                        j = close + 1;
                    } else {
                        int vs = j;
                        while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && s.charAt(j) != '>') {
                            j++;
                        }
                        value = s.substring(vs, j);
                    }
                }
                attrs.put(name, value);
            }
            if (tag.equals("span") && !"tg-spoiler".equals(attrs.get("class"))) {
                throw new ParseError("Tag \"span\" must have class \"tg-spoiler\" at byte offset " + byteOffset(s, at));
            }
            stack.add(new Open(tag, out.length(), attrs));
            return j;
        }

        private int endTag(int at) {
            int close = s.indexOf('>', at);
            if (close < 0) {
                throw new ParseError("Unclosed end tag at byte offset " + byteOffset(s, at));
            }
            String tag = s.substring(at + 2, close).trim().toLowerCase(Locale.ROOT);
            if (stack.isEmpty()) {
                throw new ParseError("Unexpected end tag at byte offset " + byteOffset(s, at));
            }
            Open open = stack.remove(stack.size() - 1);
            if (!tag.equals(open.tag)) {
                throw new ParseError("Unmatched end tag at byte offset " + byteOffset(s, at) + ", expected \"</"
                        + open.tag + ">\", found \"</" + tag + ">\"");
            }
            int length = out.length() - open.start;
            String type = switch (open.tag) {
                case "b", "strong" -> "bold";
                case "i", "em" -> "italic";
                case "u", "ins" -> "underline";
                case "s", "strike", "del" -> "strikethrough";
                case "span", "tg-spoiler" -> "spoiler";
                case "code" -> "code";
                case "pre" -> "pre";
                case "a" -> open.attrs.containsKey("href") ? "text_link" : null;
                case "blockquote" -> open.attrs.containsKey("expandable") ? "expandable_blockquote" : "blockquote";
                case "tg-emoji" -> "custom_emoji";
                default -> null;
            };
            String language = open.attrs.getOrDefault("class", "");
            if (open.tag.equals("code") && language.startsWith("language-") && !stack.isEmpty()
                    && top().tag.equals("pre") && top().start == open.start) {
                // <pre><code class="language-x"> is one pre entity with a language
                top().attrs.put("language", language.substring("language-".length()));
                type = null;
            }
            if (type != null) {
                ObjectNode e = entity(type, open.start, length);
                if (type.equals("text_link")) {
                    e.put("url", open.attrs.get("href"));
                } else if (type.equals("pre") && open.attrs.containsKey("language")) {
                    e.put("language", open.attrs.get("language"));
                } else if (type.equals("custom_emoji")) {
                    e.put("custom_emoji_id", open.attrs.getOrDefault("emoji-id", ""));
                }
                entities.add(e);
            }
            return close + 1;
        }

        /** Telegram knows &lt; &gt; &amp; &quot; and numeric references; any other '&' stays as it is. */
        private int entityReference(int at) {
            int semicolon = s.indexOf(';', at);
            if (semicolon > at && semicolon - at <= 10) {
                String decoded = decodeOne(s.substring(at + 1, semicolon));
                if (decoded != null) {
                    out.append(decoded);
                    return semicolon + 1;
                }
            }
            out.append('&');
            return at + 1;
        }

        private static String decodeOne(String name) {
            switch (name) {
                case "lt":
                    return "<";
                case "gt":
                    return ">";
                case "amp":
                    return "&";
                case "quot":
                    return "\"";
                default:
                    break;
            }
            try {
                if (name.startsWith("#x") || name.startsWith("#X")) {
                    return new String(Character.toChars(Integer.parseInt(name.substring(2), 16)));
                }
                if (name.startsWith("#")) {
                    return new String(Character.toChars(Integer.parseInt(name.substring(1))));
                }
            } catch (IllegalArgumentException e) {
                return null;
            }
            return null;
        }

        private static String decodeEntities(String v) {
            StringBuilder b = new StringBuilder();
            int i = 0;
            while (i < v.length()) {
                int semicolon = v.indexOf(';', i);
                String decoded = v.charAt(i) == '&' && semicolon > i ? decodeOne(v.substring(i + 1, semicolon)) : null;
                if (decoded != null) {
                    b.append(decoded);
                    i = semicolon + 1;
                } else {
                    b.append(v.charAt(i++));
                }
            }
            return b.toString();
        }
    }

    // ---- MarkdownV2 ----

    private static final class MarkdownV2 {
        private final String s;
        private final StringBuilder out = new StringBuilder();
        private final List<ObjectNode> entities = new ArrayList<>();
        private final List<Open> stack = new ArrayList<>();
        private int quoteStart = -1;

        private record Open(String type, int start, int byteOffset) {
        }

        MarkdownV2(String s) {
            this.s = s;
        }

        Parsed parse() {
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                boolean lineStart = i == 0 || s.charAt(i - 1) == '\n';
                if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) >= 1 && s.charAt(i + 1) <= 126) {
                    out.append(s.charAt(i + 1));
                    i += 2;
                } else if (c == '>' && lineStart) {
                    if (quoteStart < 0) {
                        quoteStart = out.length();
                    }
                    i++;
                } else if (c == '\n' && quoteStart >= 0 && !s.startsWith(">", i + 1)) {
                    entities.add(entity("blockquote", quoteStart, out.length() - quoteStart));
                    quoteStart = -1;
                    out.append(c);
                    i++;
                } else if (c == '`') {
                    i = code(i);
                } else if (c == '*') {
                    toggle("bold", i);
                    i++;
                } else if (c == '_' && s.startsWith("__", i)) {
                    toggle("underline", i);
                    i += 2;
                } else if (c == '_') {
                    toggle("italic", i);
                    i++;
                } else if (c == '~') {
                    toggle("strikethrough", i);
                    i++;
                } else if (c == '|' && s.startsWith("||", i)) {
                    toggle("spoiler", i);
                    i += 2;
                } else if (c == '[') {
                    stack.add(new Open("text_link", out.length(), byteOffset(s, i)));
                    i++;
                } else if (c == ']' && openIndex("text_link") >= 0) {
                    i = linkEnd(i);
                } else if (MARKDOWN_V2_RESERVED.indexOf(c) >= 0) {
                    throw new ParseError("Character '" + c + "' is reserved and must be escaped with the preceding '\\'");
                } else {
                    out.append(c);
                    i++;
                }
            }
            if (quoteStart >= 0) {
                entities.add(entity("blockquote", quoteStart, out.length() - quoteStart));
            }
            if (!stack.isEmpty()) {
                Open open = stack.get(stack.size() - 1);
                throw new ParseError("Can't find end of " + name(open.type) + " entity at byte offset " + open.byteOffset);
            }
            return trim(out.toString(), entities);
        }

        private int openIndex(String type) {
            for (int k = stack.size() - 1; k >= 0; k--) {
                if (stack.get(k).type.equals(type)) {
                    return k;
                }
            }
            return -1;
        }

        private void toggle(String type, int at) {
            int k = openIndex(type);
            if (k >= 0) {
                Open open = stack.remove(k);
                entities.add(entity(type, open.start, out.length() - open.start));
            } else {
                stack.add(new Open(type, out.length(), byteOffset(s, at)));
            }
        }

        /** ']' closing a link: must be followed by '(url)', where ')' and '\' are escaped. */
        private int linkEnd(int at) {
            Open open = stack.remove(openIndex("text_link"));
            if (!s.startsWith("(", at + 1)) {
                return at + 1; // "[text]" without a URL: the text stays, no entity
            }
            StringBuilder url = new StringBuilder();
            int j = at + 2;
            while (j < s.length() && s.charAt(j) != ')') {
                if (s.charAt(j) == '\\' && j + 1 < s.length()) {
                    j++;
                }
                url.append(s.charAt(j++));
            }
            if (j >= s.length()) {
                throw new ParseError("Can't find end of a URL at byte offset " + byteOffset(s, at + 1));
            }
            ObjectNode e = entity("text_link", open.start, out.length() - open.start);
            e.put("url", url.toString());
            entities.add(e);
            return j + 1;
        }

        /** `code` or ```pre```; inside, only '`' and '\' need escaping. */
        private int code(int at) {
            boolean pre = s.startsWith("```", at);
            int j = at + (pre ? 3 : 1);
            StringBuilder content = new StringBuilder();
            while (j < s.length()) {
                char c = s.charAt(j);
                if (c == '\\' && j + 1 < s.length() && (s.charAt(j + 1) == '`' || s.charAt(j + 1) == '\\')) {
                    content.append(s.charAt(j + 1));
                    j += 2;
                } else if (c == '`' && (!pre || s.startsWith("```", j))) {
                    String body = content.toString();
                    String language = null;
                    int nl = body.indexOf('\n');
                    if (pre && nl > 0 && !body.substring(0, nl).isBlank() && !body.substring(0, nl).contains(" ")) {
                        language = body.substring(0, nl);
                        body = body.substring(nl + 1);
                    } else if (pre && nl == 0) {
                        body = body.substring(1);
                    }
                    ObjectNode e = entity(pre ? "pre" : "code", out.length(), body.length());
                    if (language != null) {
                        e.put("language", language);
                    }
                    out.append(body);
                    entities.add(e);
                    return j + (pre ? 3 : 1);
                } else {
                    content.append(c);
                    j++;
                }
            }
            throw new ParseError("Can't find end of " + (pre ? "Pre" : "Code") + " entity at byte offset "
                    + byteOffset(s, at));
        }

        private static String name(String type) {
            return switch (type) {
                case "bold" -> "Bold";
                case "italic" -> "Italic";
                case "underline" -> "Underline";
                case "strikethrough" -> "Strikethrough";
                case "spoiler" -> "Spoiler";
                case "text_link" -> "TextUrl";
                default -> type;
            };
        }
    }

    // ---- legacy Markdown ----

    private static final class LegacyMarkdown {
        private final String s;
        private final StringBuilder out = new StringBuilder();
        private final List<ObjectNode> entities = new ArrayList<>();

        LegacyMarkdown(String s) {
            this.s = s;
        }

        Parsed parse() {
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length() && "_*`[".indexOf(s.charAt(i + 1)) >= 0) {
                    out.append(s.charAt(i + 1));
                    i += 2;
                } else if (c == '*' || c == '_' || c == '`') {
                    String marker = c == '`' && s.startsWith("```", i) ? "```" : String.valueOf(c);
                    int end = s.indexOf(marker, i + marker.length());
                    if (end < 0) {
                        throw new ParseError("Can't find end of the entity starting at byte offset " + byteOffset(s, i));
                    }
                    String body = s.substring(i + marker.length(), end);
                    String type = switch (marker) {
                        case "*" -> "bold";
                        case "_" -> "italic";
                        case "`" -> "code";
                        default -> "pre";
                    };
                    entities.add(entity(type, out.length(), body.length()));
                    out.append(body);
                    i = end + marker.length();
                } else if (c == '[') {
                    int close = s.indexOf("](", i);
                    int urlEnd = close < 0 ? -1 : s.indexOf(')', close);
                    if (close < 0 || urlEnd < 0) {
                        throw new ParseError("Can't find end of the entity starting at byte offset " + byteOffset(s, i));
                    }
                    String body = s.substring(i + 1, close);
                    ObjectNode e = entity("text_link", out.length(), body.length());
                    e.put("url", s.substring(close + 2, urlEnd));
                    entities.add(e);
                    out.append(body);
                    i = urlEnd + 1;
                } else {
                    out.append(c);
                    i++;
                }
            }
            return trim(out.toString(), entities);
        }
    }
}
