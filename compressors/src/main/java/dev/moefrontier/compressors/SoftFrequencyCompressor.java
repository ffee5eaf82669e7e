package dev.moefrontier.compressors;

/** Summed gate weight over routed tokens; the lowest-scoring experts are pruned. */
public final class SoftFrequencyCompressor extends UnifiedScoreCompressor.Fixed {
    public SoftFrequencyCompressor() {
        super("soft-frequency", 0, 1, 0, "Summed gate weight over routed tokens");
    }
}
