package dev.moefrontier.compressors;

/** Mean squared activation norm over routed tokens; the lowest-scoring experts are pruned. */
public final class MsanCompressor extends UnifiedScoreCompressor.Fixed {
    public MsanCompressor() {
        super("msan", 1, 0, 2, "Mean squared activation norm over routed tokens");
    }
}
