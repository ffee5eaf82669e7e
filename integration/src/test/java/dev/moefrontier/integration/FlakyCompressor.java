package dev.moefrontier.integration;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import java.util.Set;

/**
 * A third-party compressor (registered through ServiceLoader from this test jar) that always fails, or, while
 * {@link #crash} is set, takes the whole process down the way an out-of-memory kill would (an {@link Error} that the
 * sweep does not catch).
 */
public final class FlakyCompressor implements Compressor {
    static volatile boolean crash;

    @Override
    public String name() {
        return "test-flaky";
    }

    @Override
    public String description() {
        return "test only: always fails";
    }

    @Override
    public Set<dev.moefrontier.harness.spi.CalibrationStatistic> statistics(Options options) {
        return Set.of();
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        if (crash) {
            throw new Error("simulated crash");
        }
        throw new IllegalStateException("flaky compressor failed on purpose");
    }
}
