package dev.moefrontier.compressors;

import dev.moefrontier.harness.calib.LayerStats;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.compress.Options;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The unified family of methods.md §3: S(b, α, β)_e = |X_e|^(−b) · Σ_{x ∈ X_e} g_e(x)^α · ||f_e(x)||_2^β, lowest scores
 * pruned, where g is the gate weight the model actually uses. An expert with no routed tokens scores 0 when b = 1.
 */
public abstract class UnifiedScoreCompressor implements ExpertScorer {
    /** (b, α, β) for these options. */
    protected abstract int[] exponents(Options options);

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        int[] x = exponents(options);
        return x[2] == 0 ? Set.of(RoutingStatistics.ROUTING) : Set.of(RoutingStatistics.ROUTING, RoutingStatistics.OUTPUT_NORMS);
    }

    @Override
    public Map<Integer, double[]> scores(CompressionContext ctx, Options options) {
        int[] x = exponents(options);
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (int l : ctx.config().moeLayers()) {
            LayerStats s = ctx.stats().layer(l);
            double[] v = new double[s.experts()];
            for (int e = 0; e < v.length; e++) {
                long n = s.count(e);
                double sum = s.moment(x[1], x[2], e);
                v[e] = x[0] == 0 ? sum : (n == 0 ? 0 : sum / n);
            }
            out.put(l, v);
        }
        return out;
    }

    /** A fixed member of the family. */
    abstract static class Fixed extends UnifiedScoreCompressor {
        private final String name;
        private final int[] bab;
        private final String description;

        Fixed(String name, int b, int alpha, int beta, String description) {
            this.name = name;
            this.bab = new int[] {b, alpha, beta};
            this.description = description;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return description + " (S(" + bab[0] + "," + bab[1] + "," + bab[2] + "), methods.md §3)";
        }

        @Override
        protected int[] exponents(Options options) {
            return bab;
        }
    }
}
