package dev.moefrontier.integration;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.compress.Options;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A third-party compressor that needs a statistic harness does not know: prunes the experts with the lowest peak gate. */
public final class PeakGateCompressor implements ExpertScorer {
    @Override
    public String name() {
        return "test-peak-gate";
    }

    @Override
    public String description() {
        return "test only: prunes experts with the smallest peak gate weight";
    }

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        return Set.of(PeakGateStatistic.INSTANCE);
    }

    @Override
    public Map<Integer, double[]> scores(CompressionContext ctx, Options options) {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (int l : ctx.config().moeLayers()) {
            out.put(l, ctx.stats().values(PeakGateStatistic.INSTANCE, l).get("peak").clone());
        }
        return out;
    }
}
