package dev.moefrontier.compressors.hodge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeOverride;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.util.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * FULL merge barriers (methods.md §4.2): the KL at the model output. Hidden states entering the layer are cached by
 * {@link MergeBarriers}; per group of merges only the windows routing a token to a merged expert are rerun from the
 * layer on, many merges per batch, against the reference log-probabilities.
 */
final class FullBarriers {
    private final MergeBarriers mb;

    FullBarriers(MergeBarriers mb) {
        this.mb = mb;
    }

    void run(int layer, List<int[]> merges, double[] sum, Progress p) {
        LayerWeights w = mb.model.weights().acquire(layer);
        try (NDManager m = mb.manager.newSubManager()) {
            for (int c = 0; c < mb.chunks.size(); c++) {
                TokenBatch batch = mb.chunks.get(c);
                List<Set<Integer>> windowsOf = mb.data.chunkWindows.get(c);
                int t = batch.maxLength();
                int start = 0;
                while (start < merges.size()) {
                    // a group of merges whose affected windows fit in one batch
                    List<Integer> group = new ArrayList<>();
                    List<int[]> affected = new ArrayList<>();
                    long tokens = 0;
                    int end = start;
                    while (end < merges.size()) {
                        Set<Integer> win = new java.util.TreeSet<>();
                        for (int e : merges.get(end)) {
                            win.addAll(windowsOf.get(e));
                        }
                        long need = (long) win.size() * t;
                        if (!group.isEmpty() && tokens + need > Math.max(mb.maxBatchTokens, t)) {
                            break;
                        }
                        group.add(end);
                        affected.add(win.stream().mapToInt(Integer::intValue).toArray());
                        tokens += need;
                        end++;
                    }
                    fullGroup(layer, w, m, c, merges, group, affected, sum);
                    if (c == mb.chunks.size() - 1) {
                        p.step(group.size());
                    }
                    start = end;
                }
            }
        } finally {
            mb.model.weights().release(w);
        }
    }

    private void fullGroup(int layer, LayerWeights w, NDManager m, int chunk, List<int[]> merges, List<Integer> group,
            List<int[]> affected, double[] sum) {
        TokenBatch batch = mb.chunks.get(chunk);
        NDArray h = mb.cursor.hidden(chunk); // [B, T, H] entering layer
        mb.trim(); // the previous group's blocks go back to the system first
        try (NDManager g = m.newSubManager()) {
            NDList outs = new NDList();
            List<int[]> seqs = new ArrayList<>();
            List<Integer> owner = new ArrayList<>(); // per concatenated window: index into group
            List<Integer> windowOfSeq = new ArrayList<>();
            for (int gi = 0; gi < group.size(); gi++) {
                int[] win = affected.get(gi);
                if (win.length == 0) {
                    continue; // no token routed to these experts: the model is unchanged, KL 0
                }
                int[] members = merges.get(group.get(gi));
                NDArray[] mw = mb.merged(w.moe(), mb.mergeWeights(layer, members), members, g);
                NDArray[] gu = new NDArray[w.moe().numExperts()];
                NDArray[] dn = new NDArray[w.moe().numExperts()];
                for (int e : members) {
                    gu[e] = mw[0];
                    dn[e] = mw[1];
                }
                MoeOverride ov = new MoeOverride(null, null, gu, dn, null, null, null);
                List<int[]> sub = new ArrayList<>();
                long[] idx = new long[win.length];
                for (int i = 0; i < win.length; i++) {
                    int len = batch.length(win[i]); // its tokens through layers l..L and the head
                    mb.addBound(len * dev.moefrontier.harness.model.Flops.fromLayerPerToken(mb.model.config(), layer, len));
                    sub.add(batch.sequence(win[i]));
                    idx[i] = win[i];
                    owner.add(gi);
                    windowOfSeq.add(win[i]);
                }
                NDArray hs = h.get(g, new NDIndex("{}", g.create(idx)));
                try (MoeTransformer.LayerCursor one = mb.model.cursorAt(layer, List.of(new TokenBatch(sub)), List.of(hs))) {
                    one.advance((l, lw) -> l == layer ? ov : null, ForwardObserver.NONE);
                    NDArray o = one.hidden(0).duplicate();
                    o.attach(g);
                    outs.add(o);
                }
                seqs.addAll(sub);
            }
            if (outs.isEmpty()) {
                return;
            }
            NDArray big = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 0);
            TokenBatch bigBatch = new TokenBatch(seqs);
            NDArray[] merged = new NDArray[1];
            try (MoeTransformer.LayerCursor rest = mb.model.cursorAt(layer + 1, List.of(bigBatch), List.of(big))) {
                while (rest.next() < mb.model.config().numLayers()) {
                    rest.advance(ModelPatch.NONE, ForwardObserver.NONE);
                }
                rest.finish((i, b, hidden) -> merged[0] = MergeBarriers.realRows(hidden, b, g)); // final-normed [rows, H]
            }
            mb.notePeak();
            // The reference rows of the same windows, in the same order.
            int[] start = mb.windowRow.get(chunk);
            List<Long> refRows = new ArrayList<>();
            for (int wdx : windowOfSeq) {
                for (int r = start[wdx]; r < start[wdx + 1]; r++) {
                    refRows.add((long) r);
                }
            }
            long[] rr = refRows.stream().mapToLong(Long::longValue).toArray();
            float[] kl = klBlocked(merged[0], rr, chunk, g);
            double[] perWindow = new double[owner.size()];
            int row = 0;
            for (int s = 0; s < owner.size(); s++) {
                int len = batch.length(windowOfSeq.get(s));
                double acc = 0;
                for (int q = 0; q < len; q++) {
                    acc += kl[row++];
                }
                perWindow[s] = acc;
            }
            for (int i = 0; i < owner.size(); i++) {
                sum[group.get(owner.get(i))] += perWindow[i];
            }
        }
    }

    /** KL(reference || merged) per row, the merged model's final-normed rows against chunk rows {@code refRows}. */
    private float[] klBlocked(NDArray mergedRows, long[] refRows, int chunk, NDManager on) {
        int n = refRows.length;
        float[] out = new float[n];
        for (int r0 = 0; r0 < n; r0 += mb.headRows) {
            int r1 = Math.min(n, r0 + mb.headRows);
            try (NDManager m = on.newSubManager()) {
                // Every product, softmax and sum below has the fixed shape [headRows, ...] (padded rows are ignored).
                NDArray q = mb.model.logits(MergeBarriers.padRows(mergedRows.get(m, new NDIndex("{}:{}", r0, r1)), mb.headRows, m)).logSoftmax(-1);
                NDArray ids = m.create(Arrays.copyOfRange(refRows, r0, r1));
                NDArray p = mb.refLogp.get(chunk) != null ? MergeBarriers.padRows(mb.refLogp.get(chunk).get(m, new NDIndex("{}", ids)), mb.headRows, m)
                        : mb.model.logits(MergeBarriers.padRows(mb.refHidden.get(chunk).get(m, new NDIndex("{}", ids)), mb.headRows, m)).logSoftmax(-1);
                float[] v = mb.kl(p, q).toType(DataType.FLOAT32, false).toFloatArray();
                System.arraycopy(v, 0, out, r0, r1 - r0);
                mb.notePeak();
            }
        }
        return out;
    }
}
