package dev.moefrontier.compressors;

import ai.djl.ndarray.types.DataType;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import java.util.Map;

/**
 * HC-SMoE's expert representation (methods.md §3): Σ f_e(x) of every expert over all calibration tokens (routed or
 * not), so E expert passes per batch. Array {@code sum} [E * H], index e * H + j.
 */
public final class MeanOutputs implements CalibrationStatistic.Streamed {
    public static final MeanOutputs STATISTIC = new MeanOutputs();

    private MeanOutputs() {}

    @Override
    public String name() {
        return "mean-outputs";
    }

    @Override
    public String description() {
        return "sum of every expert's output over all tokens (HC-SMoE)";
    }

    @Override
    public int version() {
        return 1;
    }

    /** The mean output of every expert of MoE layer {@code layer} over all tokens: [E][H]. */
    public static double[][] of(CalibrationStats stats, int layer) {
        double[] sum = stats.values(STATISTIC, layer).get("sum");
        long tokens = Math.max(1, stats.layer(layer).tokens());
        int e = stats.layer(layer).experts();
        int h = sum.length / e;
        double[][] out = new double[e][h];
        for (int i = 0; i < e; i++) {
            for (int j = 0; j < h; j++) {
                out[i][j] = sum[i * h + j] / tokens;
            }
        }
        return out;
    }

    @Override
    public Accumulator start(ModelConfig config, int layer) {
        int experts = config.moe().numExperts();
        int hidden = config.hiddenSize();
        double[] sum = new double[experts * hidden];
        return new Accumulator() {
            @Override
            public void observe(MoeLayerEvent e) {
                for (int ex = 0; ex < experts; ex++) {
                    float[] o = e.expertOutput(ex).sum(new int[] {0}).toType(DataType.FLOAT32, false).toFloatArray();
                    for (int j = 0; j < hidden; j++) {
                        sum[ex * hidden + j] += o[j];
                    }
                }
            }

            @Override
            public Map<String, double[]> values() {
                return Map.of("sum", sum);
            }
        };
    }
}
