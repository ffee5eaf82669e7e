package dev.moefrontier.compressors.hodge;

import java.util.Arrays;

/**
 * What §4.5–4.10 run on, for one MoE layer: barriers, candidate triangles, saliency and the number of experts to keep.
 *
 * @param pairBarriers n×n symmetric, zero diagonal
 * @param candidates candidate triangles [i, j, k], i &lt; j &lt; k (already capped)
 * @param tripletBarriers one per candidate
 * @param saliency raw saliency per expert (normalized to sum 1 here)
 * @param keep experts to keep
 */
public record HodgeInput(double[][] pairBarriers, int[][] candidates, double[] tripletBarriers, double[] saliency, int keep) {

    public HodgeInput {
        int n = pairBarriers.length;
        if (n < 2) {
            throw new IllegalArgumentException("need at least 2 experts");
        }
        for (int i = 0; i < n; i++) {
            if (pairBarriers[i].length != n) {
                throw new IllegalArgumentException("pair_barriers must be " + n + " x " + n);
            }
            for (int j = 0; j < n; j++) {
                double v = pairBarriers[i][j];
                if (!Double.isFinite(v) || v < 0) {
                    throw new IllegalArgumentException("pair barrier [" + i + "][" + j + "] = " + v + " is not a finite non-negative number");
                }
                if (v != pairBarriers[j][i]) {
                    throw new IllegalArgumentException("pair_barriers is not symmetric at [" + i + "][" + j + "]");
                }
            }
        }
        if (candidates.length != tripletBarriers.length) {
            throw new IllegalArgumentException(candidates.length + " candidate triangles but " + tripletBarriers.length + " triplet barriers");
        }
        for (int[] t : candidates) {
            if (t.length != 3 || t[0] < 0 || !(t[0] < t[1] && t[1] < t[2]) || t[2] >= n) {
                throw new IllegalArgumentException("candidate triangle " + Arrays.toString(t) + " must be [i, j, k] with 0 <= i < j < k < " + n);
            }
        }
        for (double v : tripletBarriers) {
            if (!Double.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("triplet barrier " + v + " is not a finite non-negative number");
            }
        }
        if (saliency.length != n) {
            throw new IllegalArgumentException("saliency needs " + n + " values");
        }
        if (keep < 1 || keep > n) {
            throw new IllegalArgumentException("keep must be in 1.." + n);
        }
    }

    public int n() {
        return pairBarriers.length;
    }

    /** Saliency normalized to sum 1 (all zeros stay zeros). */
    public double[] normalizedSaliency() {
        return scaledSaliency(HodgeParams.SaliencyScale.SUM);
    }

    /** The saliency scaled as {@code scale} says (0 everywhere when its sum or max is not positive). */
    public double[] scaledSaliency(HodgeParams.SaliencyScale scale) {
        if (scale == HodgeParams.SaliencyScale.RAW) {
            return saliency.clone();
        }
        if (scale == HodgeParams.SaliencyScale.MAX) {
            double m = Arrays.stream(saliency).max().orElse(0);
            double[] out = new double[saliency.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = m > 0 ? saliency[i] / m : 0;
            }
            return out;
        }
        double s = Arrays.stream(saliency).sum();
        double[] out = new double[saliency.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = s > 0 ? saliency[i] / s : 0;
        }
        return out;
    }
}
