package io.mppbroker.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "policy", mixinStandardHelpOptions = true,
        subcommands = {PolicyValidateCommand.class, PolicyTestCommand.class, PolicyBacktestCommand.class},
        description = "Budget policy files: validate them, test them against tables of expected verdicts, and backtest"
                + " a candidate against recorded payments.")
final class PolicyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return BrokerCli.USAGE;
    }
}
