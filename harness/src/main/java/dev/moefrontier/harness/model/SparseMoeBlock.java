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
     * @param ov compression override for this layer, or null
     * @return block output [N, H]
     */
    static NDArray forward(NDArray x, LayerWeights.Moe w, MoeOverride ov, ModelConfig.MoeSpec spec, int layer,
            TokenBatch batch, ForwardObserver observer, NDManager scope, MoeDispatch dispatch) {
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
        if (ov != null && ov.redirects()) { // methods.md §2 redirect: map indices, combine duplicate weights
            float[] wts = topW.toType(DataType.FLOAT32, false).toFloatArray();
            active = new boolean[n * k];
            MoeOverride.DuplicateGates rule = ov.duplicateGates();
            for (int r = 0; r < n; r++) {
                float total = 0f;
                boolean dup = false;
                for (int s = 0; s < k; s++) {
                    int f = r * k + s;
                    if (rule == MoeOverride.DuplicateGates.RENORMALIZE) {
                        total += wts[f];
                    }
                    idx[f] = ov.redirect()[(int) idx[f]];
                    active[f] = true;
                    for (int t = 0; t < s; t++) {
                        if (active[r * k + t] && idx[r * k + t] == idx[f]) {
                            if (rule == MoeOverride.DuplicateGates.SUM) {
                                wts[r * k + t] += wts[f];
                            } else if (rule == MoeOverride.DuplicateGates.MAX) {
                                wts[r * k + t] = Math.max(wts[r * k + t], wts[f]);
                            }
                            wts[f] = 0f;
                            active[f] = false;
                            dup = true;
                            break;
                        }
                    }
                }
                if (dup && rule == MoeOverride.DuplicateGates.RENORMALIZE) {
                    float kept = 0f;
                    for (int s = 0; s < k; s++) {
                        kept += wts[r * k + s];
                    }
                    for (int s = 0; s < k && kept > 0; s++) {
                        wts[r * k + s] *= total / kept;
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
            outs.add(MoeDispatch.padded(x, gus, dns, counts, offsets, sortedRow, cap, scope)); // [M, H]
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
            observer.onMoe(new MoeBlockEvent(layer, batch, x, logits, topI, topW, idx, offsets, sortedFlat, ys, w, ov, k, scope));
        }
        return out;
    }
}
