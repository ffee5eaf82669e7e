package dev.moefrontier.harness.compress;

import java.util.Arrays;
import java.util.List;

/**
 * What happens to one MoE layer.
 *
 * @param layer decoder layer index
 * @param numExperts routed experts before compression (E)
 * @param kept surviving experts, ascending
 * @param pruned removed experts, ascending
 * @param redirect [E]: the survivor serving each expert (identity on kept experts)
 * @param merges groups merged into a survivor (may be empty)
 * @param masks Wanda statistics of the kept experts, or null
 */
public record LayerPlan(int layer, int numExperts, int[] kept, int[] pruned, int[] redirect, List<ExpertMerge> merges,
        LayerMasks masks) {

    public LayerPlan {
        merges = List.copyOf(merges);
        boolean[] seen = new boolean[numExperts];
        for (int[] part : new int[][] {kept, pruned}) {
            for (int i = 0; i < part.length; i++) {
                if (part[i] < 0 || part[i] >= numExperts || seen[part[i]] || (i > 0 && part[i] <= part[i - 1])) {
                    throw new IllegalArgumentException("layer " + layer + ": kept and pruned must be ascending, disjoint experts in 0.."
                            + (numExperts - 1) + " (kept " + Arrays.toString(kept) + ", pruned " + Arrays.toString(pruned) + ")");
                }
                seen[part[i]] = true;
            }
        }
        if (kept.length + pruned.length != numExperts) {
            throw new IllegalArgumentException("layer " + layer + ": kept and pruned must cover all " + numExperts + " experts");
        }
        if (redirect.length != numExperts) {
            throw new IllegalArgumentException("layer " + layer + ": redirect map needs " + numExperts + " entries");
        }
        for (int k : kept) {
            if (redirect[k] != k) {
                throw new IllegalArgumentException("layer " + layer + ": kept expert " + k + " must redirect to itself");
            }
        }
        for (int p : pruned) {
            if (redirect[p] == p || Arrays.binarySearch(kept, redirect[p]) < 0) {
                throw new IllegalArgumentException("layer " + layer + ": pruned expert " + p + " must redirect to a kept expert");
            }
        }
    }

    /** Keeps {@code kept}, prunes the rest; each pruned expert is redirected to {@code target[e]}. */
    public static LayerPlan of(int layer, int numExperts, int[] kept, int[] target, List<ExpertMerge> merges) {
        int[] k = kept.clone();
        Arrays.sort(k);
        boolean[] isKept = new boolean[numExperts];
        for (int x : k) {
            isKept[x] = true;
        }
        int[] p = new int[numExperts - k.length];
        int[] redirect = new int[numExperts];
        int j = 0;
        for (int e = 0; e < numExperts; e++) {
            redirect[e] = isKept[e] ? e : target[e];
            if (!isKept[e]) {
                p[j++] = e;
            }
        }
        return new LayerPlan(layer, numExperts, k, p, redirect, merges, null);
    }

    /**
     * Keeps {@code kept} and redirects each pruned expert to the kept expert with the nearest index (lower wins a tie);
     * used by drop-semantics compressors, whose redirect map only matters if the plan is run in redirect mode.
     */
    public static LayerPlan keep(int layer, int numExperts, int[] kept) {
        int[] k = kept.clone();
        Arrays.sort(k);
        int[] target = new int[numExperts];
        for (int e = 0; e < numExperts; e++) {
            int best = k[0];
            for (int x : k) {
                if (Math.abs(x - e) < Math.abs(best - e)) {
                    best = x;
                }
            }
            target[e] = best;
        }
        return of(layer, numExperts, k, target, List.of());
    }

    /** The same layer plan with Wanda statistics attached. */
    public LayerPlan withMasks(LayerMasks m) {
        return new LayerPlan(layer, numExperts, kept, pruned, redirect, merges, m);
    }

    /** Whether {@code expert} survives. */
    public boolean isKept(int expert) {
        return Arrays.binarySearch(kept, expert) >= 0;
    }
}
