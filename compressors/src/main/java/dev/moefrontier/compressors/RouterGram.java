package dev.moefrontier.compressors;

import ai.djl.ndarray.NDArray;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import java.util.Map;

/**
 * M-SMoE's router-logit similarity input (methods.md §3): Σ z zᵀ of the router logits z over all calibration tokens.
 * Array {@code gram} [E * E], index i * E + j.
 */
public final class RouterGram implements CalibrationStatistic.Streamed {
    public static final RouterGram STATISTIC = new RouterGram();

    private RouterGram() {}

    @Override
    public String name() {
        return "router-gram";
    }

    @Override
    public String description() {
        return "Gram matrix of router logits over all tokens (M-SMoE)";
    }

    @Override
    public int version() {
        return 1;
    }

    /** Σ z_i z_j of MoE layer {@code layer}, as an [E][E] matrix. */
    public static double[][] of(CalibrationStats stats, int layer) {
        double[] g = stats.values(STATISTIC, layer).get("gram");
        int e = (int) Math.round(Math.sqrt(g.length));
        double[][] out = new double[e][e];
        for (int i = 0; i < e; i++) {
            System.arraycopy(g, i * e, out[i], 0, e);
        }
        return out;
    }

    @Override
    public Accumulator start(ModelConfig config, int layer) {
        int experts = config.moe().numExperts();
        double[] gram = new double[experts * experts];
        return new Accumulator() {
            @Override
            public void observe(MoeLayerEvent e) {
                NDArray z = e.routerLogits(); // [N, E]
                WandaInputs.add(gram, z.transpose().matMul(z)); // [E, E]
            }

            @Override
            public Map<String, double[]> values() {
                return Map.of("gram", gram);
            }
        };
    }
}
