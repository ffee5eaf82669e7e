package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import java.util.Map;

/**
 * The two built-in statistics every expert-scoring method reads (methods.md §3), as {@link CalibrationStatistic}s like
 * any plug-in's. Gate weights g are the weights the model actually uses (renormalized when the family does).
 */
public final class RoutingStatistics {
    private RoutingStatistics() {}

    /** Exponents 0, 1, 2 of the gate weight (α) and of the output norm (β). */
    public static final int POWERS = 3;

    /**
     * {@code routing}: tokens seen by the layer, |X_e| and Σ_{x in X_e} g^α for α ∈ {0, 1, 2}. Always collected when a
     * calibration pass runs (coverage warnings and frequencies come from it). Arrays: {@code tokens} [1], {@code counts}
     * [E], {@code gate_moments} [3 * E], index α * E + e.
     */
    public static final CalibrationStatistic.Streamed ROUTING = new Moments("routing",
            "tokens, routed-token counts and gate-weight moments per expert", 1);

    /**
     * {@code output-norms}: Σ_{x in X_e} g^α ||f_e(x)||^β for α, β ∈ {0, 1, 2} (frequency ... REAP). Array {@code moments}
     * [9 * E], index (α * 3 + β) * E + e.
     */
    public static final CalibrationStatistic.Streamed OUTPUT_NORMS = new Moments("output-norms",
            "gate-weight x expert-output-norm moments per expert (REAP, EAN, soft frequency)", POWERS);

    private record Moments(String name, String description, int betas) implements CalibrationStatistic.Streamed {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Accumulator start(ModelConfig config, int layer) {
            int experts = config.moe().numExperts();
            double[] tokens = new double[1];
            double[] counts = new double[experts];
            double[] moments = new double[POWERS * betas * experts];
            return new Accumulator() {
                @Override
                public void observe(MoeLayerEvent e) {
                    tokens[0] += e.batch().rows();
                    MoeLayerEvent.Assignments a = e.assignments();
                    float[] weights = e.topkWeightArray();
                    float[] norms = betas > 1 ? e.routedOutputNorms() : null;
                    for (int ex = 0; ex < experts; ex++) {
                        for (int i = a.offsets()[ex]; i < a.offsets()[ex + 1]; i++) {
                            double g = weights[a.flat()[i]];
                            counts[ex]++;
                            double f = norms == null ? 0 : norms[i];
                            double ga = 1;
                            for (int alpha = 0; alpha < POWERS; alpha++) {
                                double fb = 1;
                                for (int beta = 0; beta < betas; beta++) {
                                    moments[(alpha * betas + beta) * experts + ex] += ga * fb;
                                    fb *= f;
                                }
                                ga *= g;
                            }
                        }
                    }
                }

                @Override
                public Map<String, double[]> values() {
                    return betas == 1 ? Map.of("tokens", tokens, "counts", counts, "gate_moments", moments)
                            : Map.of("moments", moments);
                }
            };
        }
    }
}
