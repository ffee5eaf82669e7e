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
     * @param x normalized hidden state of the real tokens [N, H]
     * @return block output [N, H]
     */
    static NDArray forward(NDArray x, LayerWeights.Moe w, ModelConfig.MoeSpec spec, int layer, TokenBatch batch,
            ForwardObserver observer, NDManager scope) {
        int n = (int) x.getShape().get(0);
        int k = spec.topK();
        int e = w.numExperts();

        NDArray logits = x.matMul(w.routerT()); // [N, E]
        NDArray probs = logits.softmax(-1); // over all E experts
        NDList top = probs.topK(k, -1, true, true); // largest first
        NDArray topW = top.get(0); // [N, k]
        NDArray topI = top.get(1); // [N, k] int64
        if (spec.normTopk()) {
            topW = topW.div(topW.sum(new int[] {-1}, true));
        }

        // Group the assignments by expert (stable: rows ascending within an expert).
        long[] idx = topI.toLongArray();
        int[] counts = new int[e];
        for (long i : idx) {
            counts[(int) i]++;
        }
        int[] offsets = new int[e + 1];
        for (int i = 0; i < e; i++) {
            offsets[i + 1] = offsets[i] + counts[i];
        }
        long[] sortedRow = new long[n * k]; // sorted position -> token row
        int[] sortedFlat = new int[n * k]; // sorted position -> flat (row * k + slot)
        long[] sortedPos = new long[n * k]; // flat (row * k + slot) -> sorted position
        int[] cursor = Arrays.copyOf(offsets, e);
        for (int f = 0; f < n * k; f++) {
            int p = cursor[(int) idx[f]]++;
            sortedRow[p] = f / k;
            sortedFlat[p] = f;
            sortedPos[f] = p;
        }
        NDArray xs = x.get(scope, new NDIndex("{}", scope.create(sortedRow))); // [N*k, H]
        NDList outs = new NDList();
        for (int ex = 0; ex < e; ex++) {
            if (counts[ex] > 0) {
                NDArray xe = xs.get(new NDIndex("{}:{}", offsets[ex], offsets[ex + 1])); // [n_e, H]
                outs.add(Ops.swiglu(xe, w.gateUpT().get(ex), w.downT().get(ex))); // [n_e, H]
            }
        }
        NDArray ys = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 0); // [N*k, H], sorted by expert
        long h = x.getShape().get(1);
        NDArray out = ys.get(scope, new NDIndex("{}", scope.create(sortedPos))) // [N*k, H], (row, slot) order
                .reshape(n, k, h)
                .muli(topW.expandDims(2))
                .sum(new int[] {1}); // [N, H]

        if (w.sharedGateUpT() != null) {
            NDArray shared = Ops.swiglu(x, w.sharedGateUpT(), w.sharedDownT()); // [N, H]
            out = out.addi(shared.muli(Activation.sigmoid(x.matMul(w.sharedGateT())))); // gate [N, 1]
        }

        if (observer.observesMoe(layer)) {
            observer.onMoe(new Event(layer, batch, x, logits, topI, topW, idx, offsets, sortedFlat, ys, w, k, scope));
        }
        return out;
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
        private final int k;
        private final NDManager scope;
        private float[] weightArray;

        Event(int layer, TokenBatch batch, NDArray x, NDArray logits, NDArray topI, NDArray topW, long[] idx,
                int[] offsets, int[] sortedFlat, NDArray ys, LayerWeights.Moe w, int k, NDManager scope) {
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
            return Ops.swiglu(x, w.gateUpT().get(expert), w.downT().get(expert));
        }

        @Override
        public LayerWeights.Moe weights() {
            return w;
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
