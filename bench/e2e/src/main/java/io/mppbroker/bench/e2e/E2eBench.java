package io.mppbroker.bench.e2e;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * End-to-end benchmarks of the packaged broker. Run from the repository root after
 * {@code ./mvnw -B -q -DskipTests package}:
 * <pre>
 *   java -jar bench/e2e/target/e2e-bench.jar payments [--seconds 20] [--rounds 2] [--concurrency 1,16,64] ...
 *   java -jar bench/e2e/target/e2e-bench.jar holds [--holds 10000] [--approve-rate 100] ...
 * </pre>
 * Results: printed as Markdown, and written to {@code bench/e2e/target/results/}.
 */
public final class E2eBench {

    private E2eBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !List.of("payments", "holds").contains(args[0])) {
            System.err.println("usage: e2e-bench.jar payments|holds [--option value]...");
            System.exit(2);
        }
        Map<String, String> options = options(Arrays.copyOfRange(args, 1, args.length));
        Path results = Path.of(options.getOrDefault("results", "bench/e2e/target/results"));
        if (args[0].equals("payments")) {
            new PaymentsBench(options, results).run();
        } else {
            new HoldsBench(options, results).run();
        }
        System.exit(0);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            m.put(args[i].substring(2), args[++i]);
        }
        return m;
    }
}
