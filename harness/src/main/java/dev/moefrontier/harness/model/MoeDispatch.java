package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * How routed experts run: one product per expert over its tokens (grouped), or all experts in one batched product
 * over token groups padded to the largest load (padded; what training needs, and faster for many small experts).
 * AUTO picks per call by a CPU cost model: padded when its wasted multiply-adds cost less than the per-expert op
 * overhead it saves (constants measured on this project's 2-core machine; override with the system property
 * {@code frontier.moe.dispatch=grouped|padded}).
 */
enum MoeDispatch {
    AUTO, GROUPED, PADDED;

    private static final double FLOPS = 3e10; // effective small-matmul throughput
    private static final double EXPERT_OVERHEAD = 1.2e-4; // seconds of op overhead per expert with tokens
    private static final double COPY_BYTES_PER_SECOND = 1e10;

    static MoeDispatch configured() {
        String v = System.getProperty("frontier.moe.dispatch", "auto");
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "grouped" -> GROUPED;
            case "padded" -> PADDED;
            default -> AUTO;
        };
    }

    boolean padded(int experts, int cap, int assignments, int active, long hidden, long inter, boolean restack) {
        if (this != AUTO) {
            return this == PADDED;
        }
        double waste = ((double) experts * cap - assignments) * 6.0 * hidden * inter / FLOPS;
        double stack = restack ? experts * 3.0 * hidden * inter * 4 / COPY_BYTES_PER_SECOND : 0;
        return waste + stack < active * EXPERT_OVERHEAD;
    }

    /**
     * Every expert at once on stacked weights: token rows are gathered into [E, C, H] (C = the largest expert load,
     * shorter groups padded with a zero row), run through two batched products, and read back in sorted order
     * [M, H]. One op per projection instead of one per expert, so its backward pass stays cheap (training).
     */
    static NDArray padded(NDArray x, NDArray gateUpStack, NDArray downStack, int[] counts, int[] offsets, long[] sortedRow,
            int capacity, NDManager scope) {
        int e = counts.length;
        int n = (int) x.getShape().get(0);
        long h = x.getShape().get(1);
        int cap = Math.max(1, capacity);
        long[] source = new long[e * cap]; // padded slot -> token row (n = the zero row)
        long[] back = new long[sortedRow.length]; // sorted position -> padded slot
        Arrays.fill(source, n);
        for (int ex = 0; ex < e; ex++) {
            for (int i = 0; i < counts[ex]; i++) {
                source[ex * cap + i] = sortedRow[offsets[ex] + i];
                back[offsets[ex] + i] = (long) ex * cap + i;
            }
        }
        NDArray xz = x.concat(scope.zeros(new Shape(1, h)), 0); // [N + 1, H]
        NDArray xp = xz.get(scope, new NDIndex("{}", scope.create(source))).reshape(e, cap, h); // [E, C, H]
        NDArray gu = xp.matMul(gateUpStack); // [E, C, 2I]
        long inter = gu.getShape().getLastDimension() / 2;
        NDArray act = Ops.silu(gu.get(new NDIndex("..., :{}", inter))).mul(gu.get(new NDIndex("..., {}:", inter)));
        NDArray yp = act.matMul(downStack).reshape((long) e * cap, h); // [E*C, H]
        return yp.get(scope, new NDIndex("{}", scope.create(back))); // [M, H]
    }
}
