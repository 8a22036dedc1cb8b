package io.mppbroker.bench.e2e;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Percentiles by the nearest-rank method over every recorded sample (no histogram bucketing). */
final class Stats {

    private Stats() {
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static Map<String, Double> summary(double[] samples) {
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("p50", percentile(sorted, 50));
        m.put("p90", percentile(sorted, 90));
        m.put("p99", percentile(sorted, 99));
        m.put("p99.9", percentile(sorted, 99.9));
        m.put("max", sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]);
        m.put("mean", Arrays.stream(sorted).average().orElse(Double.NaN));
        return m;
    }

    static String f(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return v >= 100 ? String.format("%.0f", v) : v >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
    }
}
