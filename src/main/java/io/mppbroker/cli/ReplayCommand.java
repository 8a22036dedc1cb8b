package io.mppbroker.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mppbroker.audit.AuditFiles;
import io.mppbroker.audit.TimelineStep;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints one agent's session as a timeline, one step per audit line in chain order: denials with"
                + " their reason, access requests, proposals, approvals with the approver, grants with id and expiry,"
                + " retries allowed by a grant, payments asked, approved and paid with their amounts. Events it does"
                + " not know are printed with all their values.",
                "Source: the audit JSONL (--file, a file or a directory of rotated files) or the broker's database"
                        + " (--jdbc-url, else the broker's configuration or embedded database, as for reconcile).",
                "Exit code: 0 printed, 1 no line for that agent, 2 usage error or unreadable input."})
final class ReplayCommand implements Callable<Integer> {

    private static final TypeReference<Map<String, Object>> LINE = new TypeReference<>() {};
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--agent", required = true, paramLabel = "<agent>", description = "The agent whose session to print.")
    String agent;

    @Option(names = "--project", paramLabel = "<project>", description = "The agent's project (needed only when the same"
            + " agent id appears in several projects).")
    String project;

    @Option(names = "--task", paramLabel = "<task>", description = "Only this task's steps.")
    String task;

    @Option(names = "--file", paramLabel = "<file|dir>", description = "Read the audit JSONL instead of the database:"
            + " one file, or a directory whose *.jsonl files form one chain (rotated files by number, then the live file).")
    Path file;

    @Mixin
    DatabaseOptions database;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (file != null && (database.jdbcUrl != null || database.user != null || database.passwordEnv != null
                || database.dataDir != null)) {
            err.println("--file reads the audit JSONL; the database options do not go with it");
            return BrokerCli.USAGE;
        }
        List<Map<String, Object>> lines;
        try {
            lines = file != null ? fromFiles(file, err) : fromDatabase();
        } catch (NoSuchFileException e) {
            err.println(e.getMessage());
            return BrokerCli.USAGE;
        } catch (SQLException | IOException e) {
            err.println("cannot read the audit lines: " + e.getMessage());
            return BrokerCli.USAGE;
        }
        TreeSet<String> projects = new TreeSet<>();
        lines.forEach(l -> projects.add(String.valueOf(l.get("project"))));
        if (lines.isEmpty()) {
            err.println("no audit line for agent " + agent + (project == null ? "" : " in project " + project)
                    + (task == null ? "" : " and task " + task));
            return BrokerCli.BROKEN;
        }
        if (projects.size() > 1) {
            err.println("agent " + agent + " has lines in several projects (" + String.join(", ", projects)
                    + "): give --project");
            return BrokerCli.USAGE;
        }
        out.println(header(projects.first(), lines));
        for (Map<String, Object> line : lines) {
            out.println(TimelineStep.of(line).format());
        }
        out.flush();
        return BrokerCli.OK;
    }

    private String header(String inProject, List<Map<String, Object>> lines) {
        return "Session of " + agent + " in " + inProject + (task == null ? "" : ", task " + task) + ": " + lines.size()
                + (lines.size() == 1 ? " step" : " steps") + ", " + lines.get(0).get("ts") + " to "
                + lines.get(lines.size() - 1).get("ts");
    }

    private boolean wanted(Map<String, Object> line) {
        return agent.equals(line.get("agent")) && (project == null || project.equals(line.get("project")))
                && (task == null || task.equals(line.get("task")));
    }

    /** The file order is the chain order. Unreadable lines are reported and skipped: {@code audit verify} judges the file. */
    private List<Map<String, Object>> fromFiles(Path path, PrintWriter err) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException("no such file or directory: " + path);
        }
        List<Path> files = Files.isDirectory(path) ? AuditFiles.inDirectory(path) : List.of(path);
        if (files.isEmpty()) {
            throw new NoSuchFileException("no *.jsonl files in " + path);
        }
        List<Map<String, Object>> lines = new ArrayList<>();
        for (Path file : files) {
            try (AuditFiles.LineReader reader = new AuditFiles.LineReader(file)) {
                for (AuditFiles.RawLine raw = reader.next(); raw != null; raw = reader.next()) {
                    Map<String, Object> line;
                    try {
                        line = JSON.readValue(new String(raw.bytes(), StandardCharsets.UTF_8), LINE);
                    } catch (IOException e) {
                        err.println(file.getFileName() + " line " + raw.number() + " is not a JSON object; skipped"
                                + " (audit verify tells whether the file was tampered with)");
                        continue;
                    }
                    if (line != null && wanted(line)) {
                        lines.add(line);
                    }
                }
            }
        }
        return lines;
    }

    private List<Map<String, Object>> fromDatabase() throws SQLException, IOException {
        StringBuilder sql = new StringBuilder("SELECT line::text FROM audit_event WHERE agent = ?");
        List<String> params = new ArrayList<>(List.of(agent));
        if (project != null) {
            sql.append(" AND project = ?");
            params.add(project);
        }
        if (task != null) {
            sql.append(" AND task = ?");
            params.add(task);
        }
        sql.append(" ORDER BY seq");
        List<Map<String, Object>> lines = new ArrayList<>();
        try (BrokerDatabase db = database.open("mpp-broker replay")) {
            Connection c = db.connection();
            c.setAutoCommit(false); // the driver streams rows with a fetch size only inside a transaction
            try (PreparedStatement statement = c.prepareStatement(sql.toString())) {
                statement.setFetchSize(1000);
                for (int i = 0; i < params.size(); i++) {
                    statement.setString(i + 1, params.get(i));
                }
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        lines.add(Objects.requireNonNull(JSON.readValue(rows.getString(1), LINE)));
                    }
                }
            } finally {
                c.rollback();
            }
        }
        return lines;
    }

    /** A missing input named by the user: a usage error, not a read failure. */
    private static final class NoSuchFileException extends IOException {
        NoSuchFileException(String message) {
            super(message);
        }
    }
}
