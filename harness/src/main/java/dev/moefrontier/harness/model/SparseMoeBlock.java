package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.Arrays;

/**
 * Router + routed experts (+ sigmoid-gated shared expert). Dispatch is grouped: the N·k (token, slot) assignments
 * are sorted by expert, gathered once, each expert runs one batched SwiGLU over its tokens, and one inverse gather
 * puts the outputs back in (token, slot) order for the weighted sum. No per-token loop.
 */
final class SparseMoeBlock {
    private SparseMoeBlock() {}

    /**
     * How routed experts run: one product per expert over its tokens (grouped), or all experts in one batched product
     * over token groups padded to the largest load (padded; what training needs, and faster for many small experts).
     * AUTO picks per call by a CPU cost model: padded when its wasted multiply-adds cost less than the per-expert op
     * overhead it saves (constants measured on this project's 2-core machine; override with the system property
     * {@code frontier.moe.dispatch=grouped|padded}).
     */
    enum Dispatch {
        AUTO, GROUPED, PADDED;

        private static final double FLOPS = 3e10; // effective small-matmul throughput
        private static final double EXPERT_OVERHEAD = 1.2e-4; // seconds of op overhead per expert with tokens
        private static final double COPY_BYTES_PER_SECOND = 1e10;

        static Dispatch configured() {
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
    }

    /**
     * @param x normalized hidden state of the real tokens [N, H]
     * @param ov compression override for this layer, or null
     * @return block output [N, H]
     */
    static NDArray forward(NDArray x, LayerWeights.Moe w, MoeOverride ov, ModelConfig.MoeSpec spec, int layer,
            TokenBatch batch, ForwardObserver observer, NDManager scope, Dispatch dispatch) {
        int n = (int) x.getShape().get(0);
        int k = spec.topK();
        int e = w.numExperts();

        NDArray logits = x.matMul(ov != null && ov.routerT() != null ? ov.routerT() : w.routerT()); // [N, E0]
        NDArray routing = logits;
        if (ov != null && ov.drops()) { // methods.md §2 drop: softmax and top-k over the survivors only
            int routed = ov.dropped().length;
            float[] mask = new float[routed];
            for (int i = 0; i < routed; i++) {
                mask[i] = ov.dropped()[i] ? Float.NEGATIVE_INFINITY : 0f;
            }
            routing = logits.add(scope.create(mask));
        }
        NDArray probs = routing.softmax(-1);
        NDList top = probs.topK(k, -1, true, true); // largest first
        NDArray topW = top.get(0); // [N, k]
        NDArray topI = top.get(1); // [N, k] int64
        if (spec.normTopk()) {
            topW = topW.div(topW.sum(new int[] {-1}, true));
        }
        long[] idx = topI.toLongArray();
        boolean[] active = null; // slots that run an expert; a redirected duplicate does not
        if (ov != null && ov.redirects()) { // methods.md §2 redirect: map indices, sum duplicate weights
            float[] wts = topW.toType(DataType.FLOAT32, false).toFloatArray();
            active = new boolean[n * k];
            for (int r = 0; r < n; r++) {
                for (int s = 0; s < k; s++) {
                    int f = r * k + s;
                    idx[f] = ov.redirect()[(int) idx[f]];
                    active[f] = true;
                    for (int t = 0; t < s; t++) {
                        if (active[r * k + t] && idx[r * k + t] == idx[f]) {
                            wts[r * k + t] += wts[f];
                            wts[f] = 0f;
                            active[f] = false;
                            break;
                        }
                    }
                }
            }
            topI = scope.create(idx, new Shape(n, k));
            topW = scope.create(wts, new Shape(n, k));
        }

        // Group the active assignments by expert (stable: rows ascending within an expert).
        int[] counts = new int[e];
        int m = 0;
        for (int f = 0; f < n * k; f++) {
            if (active == null || active[f]) {
                counts[(int) idx[f]]++;
                m++;
            }
        }
        int[] offsets = new int[e + 1];
        for (int i = 0; i < e; i++) {
            offsets[i + 1] = offsets[i] + counts[i];
        }
        long[] sortedRow = new long[m]; // sorted position -> token row
        int[] sortedFlat = new int[m]; // sorted position -> flat (row * k + slot)
        long[] sortedPos = new long[n * k]; // flat (row * k + slot) -> sorted position (m = the zero row)
        int[] cursor = Arrays.copyOf(offsets, e);
        for (int f = 0; f < n * k; f++) {
            if (active != null && !active[f]) {
                sortedPos[f] = m;
                continue;
            }
            int p = cursor[(int) idx[f]]++;
            sortedRow[p] = f / k;
            sortedFlat[p] = f;
            sortedPos[f] = p;
        }
        long h = x.getShape().get(1);
        NDList outs = new NDList();
        int used = 0;
        int cap = 0;
        for (int c : counts) {
            used += c > 0 ? 1 : 0;
            cap = Math.max(cap, c);
        }
        boolean replaced = ov != null && (ov.gateUpT() != null || ov.downT() != null);
        boolean stacked = replaced && ov.gateUpStack() != null && ov.downStack() != null;
        if (w.gateUpStack() != null && dispatch.padded(e, cap, m, used, h, spec.intermediate(), replaced && !stacked)) {
            NDArray gus = stacked ? ov.gateUpStack() : w.gateUpStack();
            NDArray dns = stacked ? ov.downStack() : w.downStack();
            if (replaced && !stacked) { // merged or masked experts: stack the weights in use
                NDList g = new NDList();
                NDList d = new NDList();
                for (int ex = 0; ex < e; ex++) {
                    g.add(ov.gateUp(w, ex));
                    d.add(ov.down(w, ex));
                }
                gus = NDArrays.stack(g);
                dns = NDArrays.stack(d);
            }
            outs.add(padded(x, gus, dns, counts, offsets, sortedRow, cap, scope)); // [M, H]
        } else {
            NDArray xs = x.get(scope, new NDIndex("{}", scope.create(sortedRow))); // [M, H]
            for (int ex = 0; ex < e; ex++) {
                if (counts[ex] > 0) {
                    NDArray xe = xs.get(new NDIndex("{}:{}", offsets[ex], offsets[ex + 1])); // [n_e, H]
                    NDArray gu = ov == null ? w.gateUpT().get(ex) : ov.gateUp(w, ex);
                    NDArray dn = ov == null ? w.downT().get(ex) : ov.down(w, ex);
                    outs.add(Ops.swiglu(xe, gu, dn)); // [n_e, H]
                }
            }
        }
        if (m < n * k) {
            outs.add(scope.zeros(new Shape(1, h))); // row m: output of inactive slots
        }
        NDArray ys = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 0); // [M (+1), H], sorted by expert
        NDArray out = ys.get(scope, new NDIndex("{}", scope.create(sortedPos))) // [N*k, H], (row, slot) order
                .reshape(n, k, h)
                .mul(topW.expandDims(2))
                .sum(new int[] {1}); // [N, H]

        if (w.sharedGateUpT() != null) {
            NDArray sgu = ov != null && ov.sharedGateUpT() != null ? ov.sharedGateUpT() : w.sharedGateUpT();
            NDArray sd = ov != null && ov.sharedDownT() != null ? ov.sharedDownT() : w.sharedDownT();
            NDArray shared = Ops.swiglu(x, sgu, sd); // [N, H]
            out = out.add(shared.mul(Activation.sigmoid(x.matMul(w.sharedGateT())))); // gate [N, 1]
        }

        if (observer.observesMoe(layer)) {
            observer.onMoe(new Event(layer, batch, x, logits, topI, topW, idx, offsets, sortedFlat, ys, w, ov, k, scope));
        }
        return out;
    }

    /**
     * Every expert at once on stacked weights: token rows are gathered into [E, C, H] (C = the largest expert load,
     * shorter groups padded with a zero row), run through two batched products, and read back in sorted order
     * [M, H]. One op per projection instead of one per expert, so its backward pass stays cheap (training).
     */
    private static NDArray padded(NDArray x, NDArray gateUpStack, NDArray downStack, int[] counts, int[] offsets, long[] sortedRow,
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

    /** The observer's view; arrays live in the layer scope. */
    private static final class Event implements MoeLayerEvent {
        private final int layer;
        private final TokenBatch batch;
        private final NDArray x;
        private final NDArray logits;
        private final NDArray topI;
        private final NDArray topW;
        private final long[] idx;
        private final int[] offsets;
        private final int[] sortedFlat;
        private final NDArray ys;
        private final LayerWeights.Moe w;
        private final MoeOverride ov;
        private final int k;
        private final NDManager scope;
        private float[] weightArray;

        Event(int layer, TokenBatch batch, NDArray x, NDArray logits, NDArray topI, NDArray topW, long[] idx,
                int[] offsets, int[] sortedFlat, NDArray ys, LayerWeights.Moe w, MoeOverride ov, int k, NDManager scope) {
            this.layer = layer;
            this.batch = batch;
            this.x = x;
            this.logits = logits;
            this.topI = topI;
            this.topW = topW;
            this.idx = idx;
            this.offsets = offsets;
            this.sortedFlat = sortedFlat;
            this.ys = ys;
            this.w = w;
            this.ov = ov;
            this.k = k;
            this.scope = scope;
        }

        @Override
        public int layer() {
            return layer;
        }

        @Override
        public TokenBatch batch() {
            return batch;
        }

        @Override
        public NDArray input() {
            return x;
        }

        @Override
        public NDArray routerLogits() {
            return logits;
        }

        @Override
        public NDArray topkIndices() {
            return topI;
        }

        @Override
        public NDArray topkWeights() {
            return topW;
        }

        @Override
        public long[] topkIndexArray() {
            return idx;
        }

        @Override
        public synchronized float[] topkWeightArray() {
            if (weightArray == null) {
                weightArray = topW.toType(DataType.FLOAT32, false).toFloatArray();
            }
            return weightArray;
        }

        @Override
        public Assignments assignments() {
            return new Assignments(offsets, sortedFlat, k);
        }

        @Override
        public float[] routedOutputNorms() {
            int m = sortedFlat.length;
            if (m == 0) {
                return new float[0];
            }
            NDArray rows = ys.getShape().get(0) == m ? ys : ys.get(new NDIndex(":{}", m)); // without the zero row
            return rows.norm(new int[] {1}).toType(DataType.FLOAT32, false).toFloatArray();
        }

        @Override
        public int[] routedRows(int expert) {
            int[] rows = new int[offsets[expert + 1] - offsets[expert]];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = sortedFlat[offsets[expert] + i] / k;
            }
            return rows;
        }

        @Override
        public int[] routedSlots(int expert) {
            int[] slots = new int[offsets[expert + 1] - offsets[expert]];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = sortedFlat[offsets[expert] + i] % k;
            }
            return slots;
        }

        @Override
        public NDArray routedOutputs(int expert) {
            int from = offsets[expert];
            int to = offsets[expert + 1];
            if (from == to) {
                return scope.zeros(new Shape(0, x.getShape().get(1)));
            }
            // ys holds only experts with tokens, in expert order: its rows line up with the offsets.
            return ys.get(new NDIndex("{}:{}", from, to));
        }

        @Override
        public NDArray expertOutput(int expert) {
            return Ops.swiglu(x, gateUpT(expert), downT(expert));
        }

        @Override
        public LayerWeights.Moe weights() {
            return w;
        }

        @Override
        public NDArray gateUpT(int expert) {
            return ov == null ? w.gateUpT().get(expert) : ov.gateUp(w, expert);
        }

        @Override
        public NDArray gateUpStack() {
            if (ov == null || (ov.gateUpT() == null && ov.downT() == null)) {
                return w.gateUpStack();
            }
            return ov.gateUpStack();
        }

        @Override
        public NDArray downT(int expert) {
            return ov == null ? w.downT().get(expert) : ov.down(w, expert);
        }

        @Override
        public int numExperts() {
            return w.numExperts();
        }

        @Override
        public int topK() {
            return k;
        }
    }
}
