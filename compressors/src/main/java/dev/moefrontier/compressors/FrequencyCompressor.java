package dev.moefrontier.compressors;

/** Number of (token, slot) assignments routed to the expert; the lowest-scoring experts are pruned. */
public final class FrequencyCompressor extends UnifiedScoreCompressor.Fixed {
    public FrequencyCompressor() {
        super("frequency", 0, 0, 0, "Number of (token, slot) assignments routed to the expert");
    }
}
