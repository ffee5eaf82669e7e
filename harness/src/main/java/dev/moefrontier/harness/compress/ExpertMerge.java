package dev.moefrontier.harness.compress;

import java.util.Arrays;

/**
 * A group of experts replaced by one: expert {@code into} gets {@code Σ weights[i] · W_{members[i]}} for each of its
 * gate, up and down weights; the other members are pruned and routed to {@code into}.
 *
 * @param into the surviving expert (a member)
 * @param members experts of the group, ascending
 * @param weights merge weights, summing to 1 (frequency-weighted unless a method says otherwise)
 */
public record ExpertMerge(int into, int[] members, double[] weights) {
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
}
