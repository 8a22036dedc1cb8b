package io.mppbroker.cli;

import io.mppbroker.policy.PolicyLoader;
import io.mppbroker.policy.PolicyTestTable;
import io.mppbroker.policy.PolicyValidationException;
import io.mppbroker.policy.ProjectPolicy;
import io.mppbroker.policy.Verdict;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "test", mixinStandardHelpOptions = true,
        description = {"Runs a table of policy tests: each case is a payment and the verdict it must get (tier, and"
                + " optionally rule and a piece of the reason). Prints PASS or FAIL per case with the actual verdict.",
                "Exit code: 0 all passed, 1 a case failed or the policy is invalid, 2 usage error or unusable tests file."})
final class PolicyTestCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<tests.yaml>", description = "The tests file (see docs/policy.md).")
    Path tests;

    @Option(names = "--policy-dir", paramLabel = "<dir>",
            description = "Resolve the tests file's `policy:` against this directory instead of the tests file's own.")
    Path policyDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(tests)) {
            err.println("no such file: " + tests);
            return BrokerCli.USAGE;
        }
        if (policyDir != null && !Files.isDirectory(policyDir)) {
            err.println("no such directory: " + policyDir);
            return BrokerCli.USAGE;
        }
        PolicyTestTable.Table table;
        try {
            table = PolicyTestTable.read(tests, Optional.ofNullable(policyDir));
        } catch (PolicyValidationException e) {
            e.errors().forEach(err::println);
            return BrokerCli.USAGE;
        }
        ProjectPolicy policy;
        try {
            policy = PolicyLoader.loadCandidate(table.policy());
        } catch (PolicyValidationException e) {
            e.errors().forEach(out::println);
            out.println("FAIL: the policy " + table.policy() + " is invalid; no case was run");
            return BrokerCli.BROKEN;
        }
        out.println(tests + ": policy " + table.policy() + " (project " + policy.project() + ", version "
                + policy.versionHash().substring(0, 12) + ")");
        List<PolicyTestTable.Result> results = PolicyTestTable.run(policy, table.cases());
        long failed = 0;
        for (PolicyTestTable.Result r : results) {
            Verdict v = r.actual();
            String actual = PolicyTestTable.tierText(v.tier()) + " (" + v.rule() + "): " + v.reason();
            if (r.passed()) {
                out.println("PASS " + r.testCase().name() + ": " + actual);
            } else {
                failed++;
                out.println("FAIL " + r.testCase().name() + ": " + r.failure().get() + "; got " + actual);
            }
        }
        out.println(results.size() + (results.size() == 1 ? " case: " : " cases: ") + (results.size() - failed)
                + " passed, " + failed + " failed");
        return failed == 0 ? BrokerCli.OK : BrokerCli.BROKEN;
    }
}
