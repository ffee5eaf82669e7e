package dev.moefrontier.compressors;

import dev.moefrontier.harness.compress.MaskSpec;
import dev.moefrontier.harness.spi.WeightMaskRule;
import java.util.Arrays;

/**
 * Wanda masks (methods.md §5, arXiv 2306.11695): score S_ij = |W_ij| · ||X_j||_2 for W [out, in]; per output row the
 * {@code int(in · s)} lowest scores are zeroed (N:M: the N lowest of every block of M consecutive inputs). Ties go to
 * the lower input index. Scores are float32 and compared exactly, (score bits, index): unlike expert-level decisions,
 * Wanda's per-weight ranks do not use the §10 grid, because the reference masks (fixtures/scores) are exact and rows of
 * a few dozen scores hold grid-level near-ties often enough to contradict them (mixtral-a, layer 1, expert 6, down,
 * row 9). A mask that moves with the machine shows up as a changed mask checksum in the plan-aware check.
 */
public final class WandaMaskRule implements WeightMaskRule {
    @Override
    public String name() {
        return "wanda";
    }

    @Override
    public String description() {
        return "Wanda: per output row, zero the lowest |W_ij| * ||X_j|| (unstructured or N:M)";
    }

    /**
     * The kept positions of {@code w} ([out, in], row-major).
     *
     * @param sumSq Σ X_j² per input, or null for plain magnitude (||X_j|| = 1)
     */
    @Override
    public boolean[] keep(float[] w, int out, int in, double[] sumSq, MaskSpec spec) {
        if (w.length != out * in || (sumSq != null && sumSq.length != in)) {
            throw new IllegalArgumentException("weight [" + out + ", " + in + "] and " + (sumSq == null ? 0 : sumSq.length) + " input norms");
        }
        float[] norm = new float[in];
        for (int j = 0; j < in; j++) {
            norm[j] = sumSq == null ? 1f : (float) Math.sqrt(sumSq[j]);
        }
        boolean[] keep = new boolean[w.length];
        Arrays.fill(keep, true);
        int block = spec.m() == 0 ? in : spec.m();
        int prune = spec.m() == 0 ? spec.prunedPerRow(in) : spec.n();
        long[] keys = new long[block];
        for (int r = 0; r < out; r++) {
            for (int b0 = 0; b0 + block <= in; b0 += block) {
                for (int j = 0; j < block; j++) {
                    float score = Math.abs(w[r * in + b0 + j]) * norm[b0 + j]; // >= 0, so its bits order like the value
                    if (!Float.isFinite(score)) {
                        throw new IllegalArgumentException("non-finite Wanda score at row " + r + ", input " + (b0 + j));
                    }
                    keys[j] = ((long) Float.floatToIntBits(score) << 32) | (b0 + j);
                }
                Arrays.sort(keys);
                for (int j = 0; j < prune; j++) {
                    keep[r * in + (int) (keys[j] & 0xFFFFFFFFL)] = false;
                }
            }
        }
        return keep;
    }
}
