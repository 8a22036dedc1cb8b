package io.mppbroker.access;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A proposed grant as a unified diff against the project's policy file: the grant added at the end of the
 * {@code grants:} section (which is created when the file has none), the file otherwise untouched. Applying the
 * diff with {@code patch} gives a valid policy file with the same grant (its {@code expires} included), should
 * the team want to make it permanent by hand. Values are written as JSON strings, valid YAML whatever they hold.
 */
public final class PolicyDiff {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GRANTS_KEY = Pattern.compile("^grants:\\s*(#.*)?$");
    private static final Pattern GRANTS_EMPTY_FLOW = Pattern.compile("^grants:\\s*\\[\\s*]\\s*(#.*)?$");
    private static final int CONTEXT_LINES = 3;

    private PolicyDiff() {}

    /** The diff for {@code file} (read now; a missing file counts as empty). */
    public static String of(Path file, GrantProposal proposal, Instant expires) {
        List<String> original;
        try {
            original = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            original = List.of();
        }
        String name = file.getFileName().toString();
        return of(name, original, proposal, expires);
    }

    static String of(String fileName, List<String> original, GrantProposal proposal, Instant expires) {
        List<String> revised = withGrant(original, proposal, expires);
        List<String> diff = UnifiedDiffUtils.generateUnifiedDiff("a/" + fileName, "b/" + fileName, original,
                DiffUtils.diff(original, revised), CONTEXT_LINES);
        return String.join("\n", diff) + "\n";
    }

    static List<String> withGrant(List<String> original, GrantProposal proposal, Instant expires) {
        List<String> lines = new ArrayList<>(original);
        int key = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (GRANTS_KEY.matcher(lines.get(i)).matches() || GRANTS_EMPTY_FLOW.matcher(lines.get(i)).matches()) {
                key = i;
                break;
            }
        }
        if (key < 0) {
            while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) lines.remove(lines.size() - 1);
            lines.add("grants:");
            lines.addAll(grantLines("  ", proposal, expires));
            return lines;
        }
        if (GRANTS_EMPTY_FLOW.matcher(lines.get(key)).matches()) {
            lines.set(key, "grants:");
            lines.addAll(key + 1, grantLines("  ", proposal, expires));
            return lines;
        }
        // The section runs while lines are indented, list items, blank or comments; insert after its last item line.
        String indent = null;
        int end = key + 1;
        int lastContent = key;
        while (end < lines.size()) {
            String l = lines.get(end);
            boolean blankOrComment = l.isBlank() || l.strip().startsWith("#");
            if (!blankOrComment && !l.startsWith(" ") && !l.startsWith("-")) break;
            if (!blankOrComment) {
                lastContent = end;
                if (indent == null) indent = l.substring(0, l.indexOf(l.strip()));
            }
            end++;
        }
        lines.addAll(lastContent + 1, grantLines(indent == null ? "  " : indent, proposal, expires));
        return lines;
    }

    /** {@code indent} is where the item's {@code -} goes. */
    static List<String> grantLines(String indent, GrantProposal p, Instant expires) {
        String inner = indent + "  ";
        List<String> out = new ArrayList<>();
        out.add(indent + "- service: " + p.service());
        out.add(inner + "actions: " + flow(p.actions()));
        if (!p.resources().isEmpty()) out.add(inner + "resources: " + flow(p.resources()));
        if (!p.branches().isEmpty()) out.add(inner + "branches: " + flow(p.branches()));
        out.add(inner + "expires: " + quote(expires.truncatedTo(ChronoUnit.SECONDS).toString()));
        return out;
    }

    private static String flow(List<String> values) {
        return "[" + String.join(", ", values.stream().map(PolicyDiff::quote).toList()) + "]";
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
