package io.mppbroker.cli;

import io.mppbroker.policy.PolicyFiles;
import io.mppbroker.policy.ProjectPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Validates a policy file, or a budgets directory the way the broker loads it (*.yaml and *.yml,"
                + " not dot files nor *.test.yaml; a second file for a project and a token hash reused by another"
                + " project are errors). Prints every error as <file>: <field>: <what>.",
                "Exit code: 0 valid, 1 errors, 2 usage error (no such file, empty directory)."})
final class PolicyValidateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<file|dir>", description = "A policy file or a budgets directory.")
    Path path;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.exists(path)) {
            err.println("no such file or directory: " + path);
            return BrokerCli.USAGE;
        }
        List<PolicyFiles.Checked> checked = PolicyFiles.check(path);
        if (checked.isEmpty()) {
            err.println("no policy files (*.yaml, *.yml) in " + path);
            return BrokerCli.USAGE;
        }
        int invalid = 0;
        int errors = 0;
        for (PolicyFiles.Checked c : checked) {
            if (c.valid()) {
                ProjectPolicy p = c.policy().orElseThrow();
                out.println("OK: " + c.file() + " (project " + p.project() + ", mode " + p.mode().text() + ", version "
                        + p.versionHash().substring(0, 12) + ")");
            } else {
                invalid++;
                errors += c.errors().size();
                c.errors().forEach(out::println);
            }
        }
        if (invalid == 0) {
            out.println(checked.size() == 1 ? "valid" : "all " + checked.size() + " policy files are valid");
            return BrokerCli.OK;
        }
        out.println(invalid + " of " + checked.size() + " policy " + (checked.size() == 1 ? "file" : "files")
                + " invalid (" + errors + (errors == 1 ? " error" : " errors") + ")");
        return BrokerCli.BROKEN;
    }
}
