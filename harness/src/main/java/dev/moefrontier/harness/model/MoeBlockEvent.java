package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** The observer's view; arrays live in the layer scope. */
final class MoeBlockEvent implements MoeLayerEvent {
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

    MoeBlockEvent(int layer, TokenBatch batch, NDArray x, NDArray logits, NDArray topI, NDArray topW, long[] idx,
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
