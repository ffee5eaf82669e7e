package dev.moefrontier.compressors;

import dev.moefrontier.harness.compress.ExpertMerge;
import dev.moefrontier.harness.compress.LayerPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Turns expert groups into a redirect layer plan with frequency-weighted merges. */
final class MergePlans {
    private MergePlans() {}

    /**
     * @param group per expert, the representative of its group (a member of the group)
     * @param counts routed-token counts (merge weights)
     * @param mergeWeights "frequency" (f_i / Σ f, plain mean when all are 0) or "average"
     */
    static LayerPlan layer(int layer, int[] group, long[] counts, String mergeWeights) {
        int e = group.length;
        List<Integer> reps = new ArrayList<>();
        for (int i = 0; i < e; i++) {
            if (group[i] == i) {
                reps.add(i);
            }
        }
        int[] kept = reps.stream().mapToInt(Integer::intValue).toArray();
        List<ExpertMerge> merges = new ArrayList<>();
        for (int r : kept) {
            int[] members = java.util.stream.IntStream.range(0, e).filter(i -> group[i] == r).toArray();
            if (members.length > 1) {
                double[] w = mergeWeights.equals("average") ? uniform(members.length) : ExpertMerge.frequencyWeights(members, counts);
                merges.add(new ExpertMerge(r, members, w));
            }
        }
        return LayerPlan.of(layer, e, kept, group, merges);
    }

    private static double[] uniform(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1.0 / n);
        return w;
    }
}
