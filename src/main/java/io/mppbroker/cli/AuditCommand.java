package io.mppbroker.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "audit", mixinStandardHelpOptions = true, subcommands = AuditVerifyCommand.class,
        description = "The tamper-evident audit trail.")
final class AuditCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return BrokerCli.USAGE;
    }
}
