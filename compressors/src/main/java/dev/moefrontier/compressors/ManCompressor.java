package dev.moefrontier.compressors;

/** Mean activation norm over routed tokens; the lowest-scoring experts are pruned. */
public final class ManCompressor extends UnifiedScoreCompressor.Fixed {
    public ManCompressor() {
        super("man", 1, 0, 1, "Mean activation norm over routed tokens");
    }
}
