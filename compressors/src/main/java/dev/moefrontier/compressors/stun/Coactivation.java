package dev.moefrontier.compressors.stun;

import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import java.util.Map;

/**
 * STUN's co-activation counts (methods.md §8.1): A_ij = the number of calibration tokens whose top-t experts include both
 * i and j, t = 2 as in the reference code ({@code assemble_logit_patterns.py}) or the model's k. Symmetric, zero
 * diagonal. Array {@code counts} [E · E].
 */
public final class Coactivation implements CalibrationStatistic.Streamed {
    private final boolean modelTopK;

    public Coactivation(boolean modelTopK) {
        this.modelTopK = modelTopK;
    }

    @Override
    public String name() {
        return "coactivation";
    }

    @Override
    public String description() {
        return "co-activation counts of expert pairs in each token's top experts (STUN)";
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public String parameters() {
        return modelTopK ? "top=model" : "top=2";
    }

    /** A of MoE layer {@code layer}: [E][E]. */
    public double[][] of(CalibrationStats stats, int layer) {
        double[] a = stats.values(this, layer).get("counts");
        int e = (int) Math.round(Math.sqrt(a.length));
        double[][] out = new double[e][e];
        for (int i = 0; i < e; i++) {
            System.arraycopy(a, i * e, out[i], 0, e);
        }
        return out;
    }

    @Override
    public Accumulator start(ModelConfig config, int layer) {
        int experts = config.moe().numExperts();
        int t = modelTopK ? config.moe().topK() : 2;
        double[] counts = new double[experts * experts];
        return new Accumulator() {
            @Override
            public void observe(MoeLayerEvent ev) {
                int n = ev.batch().rows();
                int k = ev.topK();
                int[] top = new int[t];
                long[] idx = t <= k ? ev.topkIndexArray() : null;
                float[] logits = t <= k ? null : ev.routerLogits().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                for (int r = 0; r < n; r++) {
                    if (idx != null) { // slots are ordered by routing weight: the first t are the top t
                        for (int s = 0; s < t; s++) {
                            top[s] = (int) idx[r * k + s];
                        }
                    } else {
                        topFromLogits(logits, r * experts, experts, top);
                    }
                    for (int a = 0; a < t; a++) {
                        for (int b = 0; b < t; b++) {
                            if (top[a] != top[b]) {
                                counts[top[a] * experts + top[b]] += 1;
                            }
                        }
                    }
                }
            }

            @Override
            public Map<String, double[]> values() {
                return Map.of("counts", counts.clone());
            }
        };
    }

    /** The t largest logits of one row (ties to the lower index), largest first. */
    static void topFromLogits(float[] logits, int off, int experts, int[] top) {
        boolean[] taken = new boolean[experts];
        for (int s = 0; s < top.length; s++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (!taken[e] && (best < 0 || logits[off + e] > logits[off + best])) {
                    best = e;
                }
            }
            taken[best] = true;
            top[s] = best;
        }
    }
}
