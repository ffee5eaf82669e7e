package dev.moefrontier.harness.compress;

import java.util.Arrays;

/**
 * A group of experts replaced by one: expert {@code into} gets {@code Σ weights[i] · W_{members[i]}} for each of its
 * gate, up and down weights; the other members are pruned and routed to {@code into}. When {@code alignment} is given,
 * member i's intermediate neurons are first permuted into the merged expert's order: neuron n of the merged expert
 * takes gate/up row {@code alignment[i][n]} and down column {@code alignment[i][n]} of member i (REAM, methods.md §7.5).
 * A permutation leaves a member's function unchanged, so only the average sees it.
 *
 * @param into the surviving expert (a member)
 * @param members experts of the group, ascending
 * @param weights merge weights, summing to 1 (frequency-weighted unless a method says otherwise)
 * @param alignment per member a permutation of its intermediate neurons, or null for none
 */
public record ExpertMerge(int into, int[] members, double[] weights, int[][] alignment) {
    public ExpertMerge {
        if (members.length != weights.length || members.length == 0) {
            throw new IllegalArgumentException("merge needs one weight per member");
        }
        if (Arrays.stream(members).noneMatch(m -> m == into)) {
            throw new IllegalArgumentException("merge target " + into + " is not a member of " + Arrays.toString(members));
        }
        double sum = Arrays.stream(weights).sum();
        if (Math.abs(sum - 1) > 1e-9) {
            throw new IllegalArgumentException("merge weights sum to " + sum + ", not 1");
        }
        if (alignment != null) {
            if (alignment.length != members.length) {
                throw new IllegalArgumentException("merge into " + into + ": alignment needs one permutation per member");
            }
            int n = alignment[0].length;
            for (int[] p : alignment) {
                boolean[] seen = new boolean[n];
                if (p.length != n) {
                    throw new IllegalArgumentException("merge into " + into + ": alignment permutations differ in length");
                }
                for (int v : p) {
                    if (v < 0 || v >= n || seen[v]) {
                        throw new IllegalArgumentException("merge into " + into + ": alignment is not a permutation of 0.." + (n - 1));
                    }
                    seen[v] = true;
                }
            }
        }
    }

    /** A merge without neuron alignment. */
    public ExpertMerge(int into, int[] members, double[] weights) {
        this(into, members, weights, null);
    }

    /**
     * Frequency-weighted merge weights f_i / Σ f (a plain mean when every frequency is 0), methods.md §4.2 and the
     * merging baselines.
     */
    public static double[] frequencyWeights(int[] members, long[] counts) {
        double total = 0;
        for (int m : members) {
            total += counts[m];
        }
        double[] w = new double[members.length];
        for (int i = 0; i < members.length; i++) {
            w[i] = total > 0 ? counts[members[i]] / total : 1.0 / members.length;
        }
        return w;
    }

    /** Whether member i's neurons are reordered (an identity permutation counts as none). */
    public boolean permutes(int i) {
        if (alignment == null) {
            return false;
        }
        for (int n = 0; n < alignment[i].length; n++) {
            if (alignment[i][n] != n) {
                return true;
            }
        }
        return false;
    }
}
