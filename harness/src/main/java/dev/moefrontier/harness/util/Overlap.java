package dev.moefrontier.harness.util;

import java.util.BitSet;

/** Overlap of two sets of small non-negative indices (e.g. two kept-expert sets). */
public final class Overlap {
    private Overlap() {}

    /** Jaccard's |A ∩ B| / |A ∪ B| (1 when both are empty); repeated indices count once. */
    public static double jaccard(int[] a, int[] b) {
        BitSet sa = new BitSet();
        for (int x : a) {
            sa.set(x);
        }
        BitSet sb = new BitSet();
        for (int x : b) {
            sb.set(x);
        }
        BitSet union = (BitSet) sa.clone();
        union.or(sb);
        sa.and(sb);
        return union.isEmpty() ? 1 : (double) sa.cardinality() / union.cardinality();
    }
}
