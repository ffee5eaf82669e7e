package dev.moefrontier.harness.spi;

import dev.moefrontier.harness.compress.MaskSpec;

/**
 * How a plan's weight masks are decided: which entries of a weight matrix [out, in] survive, given the per-input
 * statistics its compressor collected (e.g. Σ X_j² over the calibration tokens). A plan names its rule in {@link
 * MaskSpec#method()}; the harness applies it when the plan is applied or exported, so masks are recomputed from the
 * plan's statistics, never stored. Register implementations in {@code
 * META-INF/services/dev.moefrontier.harness.spi.WeightMaskRule}.
 */
public interface WeightMaskRule extends Named {
    /**
     * The kept positions of {@code w} ([out, in], row-major).
     *
     * @param inputStats per-input statistic [in], or null when the expert saw no calibration tokens (magnitude only)
     */
    boolean[] keep(float[] w, int out, int in, double[] inputStats, MaskSpec spec);
}
