package io.mppbroker.cli;

import java.io.PrintWriter;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Commands the broker's jar runs without starting the broker (no HTTP server, no scheduler):
 * {@code java -jar quarkus-run.jar audit verify <file|dir>}, {@code policy validate}, {@code policy test} (no
 * database), and {@code policy backtest}, {@code reconcile}, {@code replay} (read the database with plain JDBC; replay also
 * reads the audit JSONL). Exit codes:
 * 0 OK, 1 verification or test failed or discrepancies found, 2 usage error or unreadable input.
 */
@Command(name = "mpp-broker", mixinStandardHelpOptions = true,
        subcommands = {AuditCommand.class, PolicyCommand.class, ReconcileCommand.class, ReplayCommand.class},
        description = "Without a command, starts the broker. Commands run offline:")
public final class BrokerCli {

    public static final int OK = 0;
    public static final int BROKEN = 1;
    public static final int USAGE = 2;

    private static final Set<String> COMMANDS = Set.of("audit", "policy", "reconcile", "replay");

    private BrokerCli() {}

    /** True when the arguments name a command (anything else starts the broker). */
    public static boolean handles(String... args) {
        return args.length > 0 && COMMANDS.contains(args[0]);
    }

    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new BrokerCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            commandLine.getErr().println("cannot " + commandLine.getCommandName() + ": " + e.getMessage());
            return USAGE;
        });
        return cli.execute(args);
    }
}
