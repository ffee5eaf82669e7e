package dev.moefrontier.harness.calib;

import java.util.Map;

/**
 * The {@link RoutingStatistics} of one MoE layer, read-only: tokens, |X_e| and the gate-weight x output-norm moments.
 * Statistics of other kinds are read with {@link CalibrationStats#values} or a typed view of their own module.
 */
public final class LayerStats {
    private final int layer;
    private final long tokens;
    private final long[] counts;
    private final double[] gateMoments; // [α * E + e]
    private final double[] moments; // [(α * 2 + β − 1) * E + e] for β ≥ 1, or null when output norms were not collected

    LayerStats(int layer, Map<String, double[]> routing, Map<String, double[]> norms) {
        this.layer = layer;
        this.tokens = (long) routing.get("tokens")[0];
        double[] c = routing.get("counts");
        this.counts = new long[c.length];
        for (int e = 0; e < c.length; e++) {
            counts[e] = (long) c[e];
        }
        this.gateMoments = routing.get("gate_moments");
        this.moments = norms == null ? null : norms.get("moments");
    }

    public int layer() {
        return layer;
    }

    public int experts() {
        return counts.length;
    }

    /** Tokens seen by the layer (all calibration positions). */
    public long tokens() {
        return tokens;
    }

    /** |X_e|: calibration tokens routed to expert e. */
    public long count(int e) {
        return counts[e];
    }

    /** Whether the output-norm moments (β > 0) were collected. */
    public boolean hasOutputNorms() {
        return moments != null;
    }

    /** Σ_{x in X_e} g_e(x)^α ||f_e(x)||^β for α, β in {0, 1, 2}; β > 0 needs {@link RoutingStatistics#OUTPUT_NORMS}. */
    public double moment(int alpha, int beta, int e) {
        int p = RoutingStatistics.POWERS;
        if (alpha < 0 || alpha >= p || beta < 0 || beta >= p) {
            throw new IllegalArgumentException("moments exist for exponents 0, 1, 2 (got α=" + alpha + ", β=" + beta + ")");
        }
        if (beta == 0) {
            return gateMoments[alpha * counts.length + e];
        }
        if (moments == null) {
            throw new IllegalStateException("calibration statistic 'output-norms' was not collected (declare"
                    + " RoutingStatistics.OUTPUT_NORMS in the compressor's statistics())");
        }
        return moments[(alpha * (p - 1) + beta - 1) * counts.length + e];
    }
}
