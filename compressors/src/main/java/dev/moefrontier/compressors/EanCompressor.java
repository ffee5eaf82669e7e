package dev.moefrontier.compressors;

/** Expert activation norm: summed output norm over routed tokens; the lowest-scoring experts are pruned. */
public final class EanCompressor extends UnifiedScoreCompressor.Fixed {
    public EanCompressor() {
        super("ean", 0, 0, 1, "Expert activation norm: summed output norm over routed tokens");
    }
}
