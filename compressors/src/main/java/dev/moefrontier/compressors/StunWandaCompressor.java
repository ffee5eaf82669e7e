package dev.moefrontier.compressors;

import dev.moefrontier.compressors.stun.StunCompressor;

/**
 * STUN+Wanda (methods.md §8.5): STUN stage 1 at expert ratio r1, then Wanda on the survivors and shared experts, with the
 * §4.11 split every X+Wanda hybrid uses, so frontiers compare at equal compression. Registered by name (the reference's
 * own hybrid, listed with its options); {@code stun+wanda} built by {@link HybridFactory} would be the same compressor.
 */
public final class StunWandaCompressor extends HybridCompressor {
    public StunWandaCompressor() {
        super(new StunCompressor());
    }
}
