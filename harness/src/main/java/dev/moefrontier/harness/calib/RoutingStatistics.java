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
            "tokens, routed-token counts and gate-weight moments per expert", false);

    /**
     * {@code output-norms}: Σ_{x in X_e} g^α ||f_e(x)||^β for α ∈ {0, 1, 2} and β ∈ {1, 2} (β = 0 is {@link #ROUTING}'s;
     * frequency ... REAP). Array {@code moments} [3 * 2 * E], index (α * 2 + β − 1) * E + e.
     */
    public static final CalibrationStatistic.Streamed OUTPUT_NORMS = new Moments("output-norms",
            "gate-weight x expert-output-norm moments per expert (REAP, EAN, soft frequency)", true);

    /** One accumulation loop for both: gate powers alone, or gate powers times output-norm powers 1 and 2. */
    private record Moments(String name, String description, boolean norms) implements CalibrationStatistic.Streamed {
        @Override
        public int version() {
            return norms ? 2 : 1; // output-norms 2: β = 0 left to routing
        }

        @Override
        public Accumulator start(ModelConfig config, int layer) {
            int experts = config.moe().numExperts();
            int betas = norms ? POWERS - 1 : 1;
            double[] tokens = new double[1];
            double[] counts = new double[experts];
            double[] moments = new double[POWERS * betas * experts];
            return new Accumulator() {
                @Override
                public void observe(MoeLayerEvent e) {
                    tokens[0] += e.batch().rows();
                    MoeLayerEvent.Assignments a = e.assignments();
                    float[] weights = e.topkWeightArray();
                    float[] f = norms ? e.routedOutputNorms() : null;
                    for (int ex = 0; ex < experts; ex++) {
                        for (int i = a.offsets()[ex]; i < a.offsets()[ex + 1]; i++) {
                            double g = weights[a.flat()[i]];
                            counts[ex]++;
                            double ga = 1;
                            for (int alpha = 0; alpha < POWERS; alpha++) {
                                double fb = norms ? f[i] : 1; // f^1, then f^2
                                for (int b = 0; b < betas; b++) {
                                    moments[(alpha * betas + b) * experts + ex] += ga * fb;
                                    fb *= norms ? f[i] : 1;
                                }
                                ga *= g;
                            }
                        }
                    }
                }

                @Override
                public Map<String, double[]> values() {
                    return norms ? Map.of("moments", moments) : Map.of("tokens", tokens, "counts", counts, "gate_moments", moments);
                }
            };
        }
    }
}
