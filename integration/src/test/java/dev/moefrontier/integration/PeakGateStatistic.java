package dev.moefrontier.integration;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import java.util.Map;

/**
 * A third-party calibration statistic (test jar, no harness change): per expert, the largest gate weight it received
 * over its routed calibration tokens, and the number of MoE events observed.
 */
public final class PeakGateStatistic implements CalibrationStatistic.Streamed {
    static final PeakGateStatistic INSTANCE = new PeakGateStatistic();

    @Override
    public String name() {
        return "test-peak-gate";
    }

    @Override
    public String description() {
        return "test only: max gate weight per expert";
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public Accumulator start(ModelConfig config, int layer) {
        double[] peak = new double[config.moe().numExperts()];
        double[] events = new double[1];
        return new Accumulator() {
            @Override
            public void observe(MoeLayerEvent e) {
                MoeLayerEvent.Assignments a = e.assignments();
                float[] w = e.topkWeightArray();
                for (int ex = 0; ex < peak.length; ex++) {
                    for (int i = a.offsets()[ex]; i < a.offsets()[ex + 1]; i++) {
                        peak[ex] = Math.max(peak[ex], w[a.flat()[i]]);
                    }
                }
                events[0]++;
            }

            @Override
            public Map<String, double[]> values() {
                return Map.of("peak", peak, "events", events);
            }
        };
    }
}
