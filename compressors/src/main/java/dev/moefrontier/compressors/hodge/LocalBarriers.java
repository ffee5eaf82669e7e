package dev.moefrontier.compressors.hodge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.Ops;
import dev.moefrontier.harness.util.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * LOCAL merge barriers (methods.md §4.2): the KL through the final norm and head at the layer. A token's layer output
 * moves by Σ w_e (f_merged − f_e) over its slots on the merged experts, with f_e the outputs the layer computed (held
 * by {@link MergeBarriers}); pairs are grouped by their first expert, partners in blocks whose merged weights are
 * formed once.
 */
final class LocalBarriers {
    private final MergeBarriers mb;

    LocalBarriers(MergeBarriers mb) {
        this.mb = mb;
    }

    /**
     * Moved layer-output rows waiting for the LM head, each with the row whose reference distribution it is compared
     * with and the merge its KL belongs to. The head runs on blocks of exactly {@link MergeBarriers#headRows} rows (the last one
     * padded), so a row's KL depends only on that row.
     */
    private final class PendingHead {
        private final MergeBarriers.LayerData d;
        private final double[] sum;
        private final NDList moved = new NDList(); // [n_b, H] pieces
        private final List<long[]> refOf = new ArrayList<>();
        private final List<int[]> mergeOf = new ArrayList<>();
        private int rows;
        private NDManager owner; // where queued rows live (the loop's manager)

        PendingHead(MergeBarriers.LayerData d, double[] sum) {
            this.d = d;
            this.sum = sum;
        }

        /** Queues rows {@code keep} of {@code block} [n, H], with their reference rows and merges; flushes full head blocks. */
        void add(NDArray block, long[] ref, int[] merge, NDManager owner) {
            int n = ref.length;
            if (n == 0) {
                return;
            }
            NDArray part = block.duplicate();
            part.attach(owner);
            this.owner = owner;
            moved.add(part);
            refOf.add(ref);
            mergeOf.add(merge);
            rows += n;
            var c = mb.model.config(); // each real row: the merged expert, then the head
            mb.addBound(n * (dev.moefrontier.harness.model.Flops.expertPerToken(c) + dev.moefrontier.harness.model.Flops.headPerToken(c)));
        }

        /** Runs the head on everything queued, the tail padded to a full block, and adds each KL to its merge. */
        void flush(NDManager on) {
            flush(on, true);
        }

        /**
         * Runs the head on the queued rows in blocks of exactly {@link MergeBarriers#headRows} and adds each KL to its
         * merge; unless {@code all}, the rows past the last full block stay queued (padding them now would spend head rows
         * on zeros at every flush).
         */
        void flush(NDManager on, boolean all) {
            int blocks = all ? (rows + mb.headRows - 1) / mb.headRows : rows / mb.headRows;
            if (rows == 0 || blocks == 0) {
                return;
            }
            mb.trim(); // blocks freed since the last flush go back to the system before the next ones are made
            long[] ref = new long[rows];
            int[] merge = new int[rows];
            int at = 0;
            for (int k = 0; k < refOf.size(); k++) {
                System.arraycopy(refOf.get(k), 0, ref, at, refOf.get(k).length);
                System.arraycopy(mergeOf.get(k), 0, merge, at, mergeOf.get(k).length);
                at += refOf.get(k).length;
            }
            int done = Math.min(rows, blocks * mb.headRows);
            NDArray rest = null;
            try (NDManager m = on.newSubManager()) {
                NDArray queued = moved.size() == 1 ? moved.get(0) : NDArrays.concat(moved, 0); // [rows, H]
                queued.attach(m);
                for (int r0 = 0; r0 < done; r0 += mb.headRows) {
                    int r1 = Math.min(done, r0 + mb.headRows);
                    try (NDManager hm = m.newSubManager()) {
                        NDArray q = mb.localLogProbs(MergeBarriers.padRows(queued.get(hm, new NDIndex("{}:{}", r0, r1)), mb.headRows, hm)); // [headRows, V]
                        long[] ids = new long[mb.headRows];
                        for (int r = 0; r < mb.headRows; r++) {
                            ids[r] = ref[r0 + Math.min(r, r1 - r0 - 1)];
                        }
                        NDArray idx = hm.create(ids);
                        NDArray p = d.refLocal != null ? d.refLocal.get(hm, new NDIndex("{}", idx))
                                : mb.localLogProbs(d.out.get(hm, new NDIndex("{}", idx)));
                        float[] kl = mb.kl(p, q).toType(DataType.FLOAT32, false).toFloatArray();
                        for (int r = r0; r < r1; r++) {
                            sum[merge[r]] += kl[r - r0];
                        }
                        mb.notePeak();
                    }
                }
                if (done < rows) {
                    rest = queued.get(new NDIndex("{}:", done)).duplicate();
                    rest.attach(owner);
                }
            }
            moved.forEach(NDArray::close);
            moved.clear();
            refOf.clear();
            mergeOf.clear();
            rows = 0;
            if (rest != null) { // the rows past the last full block, queued again
                moved.add(rest);
                refOf.add(Arrays.copyOfRange(ref, done, ref.length));
                mergeOf.add(Arrays.copyOfRange(merge, done, merge.length));
                rows = ref.length - done;
            }
        }

        boolean full() {
            return rows >= mb.headRows;
        }
    }

    /** Σ over positions of the local KL of one merge (any number of experts). */
    double general(int layer, int[] members) {
        mb.moveTo(layer);
        double[] total = new double[1];
        merges(layer, List.of(members), total, null);
        return total[0];
    }

    /** LOCAL barriers of merges of any size, one merge at a time (rows: those routed to any member). */
    void merges(int layer, List<int[]> merges, double[] sum, Progress p) {
        MergeBarriers.LayerData d = mb.data;
        LayerWeights w = mb.model.weights().acquire(layer);
        int rb = d.rowBlock;
        try (NDManager m = mb.manager.newSubManager()) {
            PendingHead head = new PendingHead(d, sum);
            for (int t = 0; t < merges.size(); t++) {
                int[] members = merges.get(t);
                java.util.TreeSet<Integer> union = new java.util.TreeSet<>();
                for (int e : members) {
                    for (int r : d.rowsOf.get(e)) {
                        union.add(r);
                    }
                }
                int[] rows = union.stream().mapToInt(Integer::intValue).toArray();
                try (NDManager mm = m.newSubManager()) {
                    NDArray[] mw = mb.merged(w.moe(), mb.mergeWeights(layer, members), members, mm);
                    for (int r0 = 0; r0 < rows.length; r0 += rb) {
                        int n = Math.min(rb, rows.length - r0);
                        try (NDManager b = mm.newSubManager()) {
                            long[] ri = padIndex(rows, r0, n, rb);
                            NDArray idx = b.create(ri);
                            NDArray xb = d.x.get(b, new NDIndex("{}", idx)); // [rb, H]
                            NDArray fm = Ops.swiglu(xb, mw[0], mw[1]); // the merged expert on these rows
                            NDArray delta = null;
                            for (int q = 0; q < members.length; q++) {
                                long[] at = new long[rb];
                                float[] wq = new float[rb];
                                slotsOn(d, ri, n, members[q], at, wq);
                                NDArray fq = d.routed.get(b, new NDIndex("{}", b.create(at)));
                                NDArray term = fm.sub(fq).muli(b.create(wq, new Shape(rb, 1))); // w_q (f_merged − f_q)
                                delta = delta == null ? term : delta.addi(term);
                            }
                            NDArray moved = d.out.get(b, new NDIndex("{}", idx)).add(delta).get(new NDIndex("0:{}", n));
                            int[] target = new int[n];
                            Arrays.fill(target, t);
                            head.add(moved, Arrays.copyOf(ri, n), target, m);
                        }
                        if (head.full()) {
                            head.flush(m, false);
                        }
                    }
                }
                if (p != null) {
                    p.step(1);
                }
            }
            head.flush(m);
        } finally {
            mb.model.weights().release(w);
        }
    }

    /** Rows[r0, r0 + n) as indices, padded to {@code rb} by repeating the first (padded rows are ignored). */
    private static long[] padIndex(int[] rows, int r0, int n, int rb) {
        long[] ri = new long[rb];
        for (int i = 0; i < rb; i++) {
            ri[i] = rows[r0 + (i < n ? i : 0)];
        }
        return ri;
    }

    /** For each of the first n rows: where its output on expert e is in {@code routed} (zero row if not routed) and its gate. */
    private static void slotsOn(MergeBarriers.LayerData d, long[] rows, int n, int e, long[] at, float[] w) {
        long zero = d.routed.getShape().get(0) - 1;
        for (int i = 0; i < rows.length; i++) {
            at[i] = zero;
            w[i] = 0;
            if (i >= n) {
                continue;
            }
            int r = (int) rows[i];
            for (int s = 0; s < d.k; s++) {
                if (d.idx[r * d.k + s] == e) {
                    at[i] = d.routedAt[r * d.k + s];
                    w[i] += d.weights[r * d.k + s];
                }
            }
        }
    }

    /**
     * All pairs (i, j), grouped by i: partners in fixed blocks, whose merged weights are formed once per block, each
     * against the rows routed to i in fixed blocks; the moved rows then go through the head in fixed head blocks. A row
     * routed to both i and j is counted in the group of min(i, j), with both of its slots.
     */
    void pairs(int layer, List<int[]> merges, double[] sum, Progress p) {
        MergeBarriers.LayerData d = mb.data;
        int e = mb.model.config().moe().numExperts();
        int[][] pairIndex = new int[e][e];
        for (int[] row : pairIndex) {
            Arrays.fill(row, -1);
        }
        for (int q = 0; q < merges.size(); q++) {
            pairIndex[merges.get(q)[0]][merges.get(q)[1]] = q;
        }
        LayerWeights w = mb.model.weights().acquire(layer);
        long[] counts = new long[e];
        for (int x = 0; x < e; x++) {
            counts[x] = mb.stats.layer(layer).count(x);
        }
        long h = mb.model.config().hiddenSize();
        int rb = d.rowBlock;
        int pb = d.partnerBlock;
        long zero = d.routed.getShape().get(0) - 1;
        try (NDManager m = mb.manager.newSubManager()) {
            NDArray guStack = w.moe().gateUpStack(); // [E, H, 2I]
            NDArray dnStack = w.moe().downStack(); // [E, I, H]
            if (guStack == null || dnStack == null) { // weights without stacks (training layout): stacked copies, freed with m
                guStack = NDArrays.stack(new NDList(w.moe().gateUpT()), 0);
                dnStack = NDArrays.stack(new NDList(w.moe().downT()), 0);
                guStack.attach(m);
                dnStack.attach(m);
            }
            PendingHead head = new PendingHead(d, sum);
            for (int i = 0; i < e; i++) {
                List<Integer> partners = new ArrayList<>();
                for (int j = 0; j < e; j++) {
                    if (j != i && pairIndex[Math.min(i, j)][Math.max(i, j)] >= 0) {
                        partners.add(j);
                    }
                }
                int[] rows = d.rowsOf.get(i);
                for (int p0 = 0; rows.length > 0 && p0 < partners.size(); p0 += pb) {
                    int np = Math.min(pb, partners.size() - p0);
                    int[] js = new int[pb];
                    float[] ai = new float[pb];
                    float[] aj = new float[pb];
                    for (int q = 0; q < pb; q++) {
                        js[q] = q < np ? partners.get(p0 + q) : i; // padding partner: i alone (weights 1 and 0), ignored
                        double[] a = q < np ? dev.moefrontier.harness.compress.ExpertMerge.frequencyWeights(new int[] {i, js[q]}, counts)
                                : new double[] {1, 0};
                        ai[q] = (float) a[0];
                        aj[q] = (float) a[1];
                    }
                    try (NDManager pm = m.newSubManager()) { // one partner block: its merged weights
                        NDArray jIdx = pm.create(Arrays.stream(js).mapToLong(x -> x).toArray());
                        NDArray aiN = pm.create(ai, new Shape(pb, 1, 1));
                        NDArray ajN = pm.create(aj, new Shape(pb, 1, 1));
                        NDArray guM = guStack.get(pm, new NDIndex("{}", jIdx)).muli(ajN).addi(guStack.get(pm, i).expandDims(0).mul(aiN));
                        NDArray dnM = dnStack.get(pm, new NDIndex("{}", jIdx)).muli(ajN).addi(dnStack.get(pm, i).expandDims(0).mul(aiN));
                        for (int r0 = 0; r0 < rows.length; r0 += rb) {
                            int n = Math.min(rb, rows.length - r0);
                            long[] ri = padIndex(rows, r0, n, rb);
                            long[] atI = new long[rb];
                            float[] wI = new float[rb];
                            slotsOn(d, ri, n, i, atI, wI);
                            long[] atJ = new long[pb * rb];
                            float[] wJ = new float[pb * rb];
                            List<Long> keep = new ArrayList<>(); // positions q * rb + s that count
                            for (int q = 0; q < pb; q++) {
                                long[] at = new long[rb];
                                float[] wq = new float[rb];
                                slotsOn(d, ri, q < np ? n : 0, js[q], at, wq);
                                System.arraycopy(at, 0, atJ, q * rb, rb);
                                System.arraycopy(wq, 0, wJ, q * rb, rb);
                                for (int s = 0; s < n && q < np; s++) {
                                    if (!(at[s] != zero && js[q] < i)) {
                                        keep.add((long) q * rb + s);
                                    }
                                }
                            }
                            if (keep.isEmpty()) {
                                continue;
                            }
                            try (NDManager b = pm.newSubManager()) { // one row block against the partner block
                                NDArray idx = b.create(ri);
                                NDArray xb = d.x.get(b, new NDIndex("{}", idx)); // [rb, H]
                                NDArray ob = d.out.get(b, new NDIndex("{}", idx)); // [rb, H]
                                NDArray fi = d.routed.get(b, new NDIndex("{}", b.create(atI))); // [rb, H]
                                NDArray fj = d.routed.get(b, new NDIndex("{}", b.create(atJ))).reshape(pb, rb, h); // [pb, rb, H]
                                NDArray pre = xb.matMul(guM); // [pb, rb, 2I]: every partner's merged expert on the rows
                                long inter = pre.getShape().get(2) / 2;
                                NDArray act = Ops.silu(pre.get(new NDIndex("..., :{}", inter))).muli(pre.get(new NDIndex("..., {}:", inter)));
                                NDArray fm = act.matMul(dnM); // [pb, rb, H]
                                NDArray delta = fm.sub(fi.expandDims(0)).muli(b.create(wI, new Shape(1, rb, 1)))
                                        .addi(fm.sub(fj).muli(b.create(wJ, new Shape(pb, rb, 1))));
                                NDArray moved = delta.addi(ob.expandDims(0)).reshape(pb * (long) rb, h); // [pb * rb, H]
                                long[] sel = keep.stream().mapToLong(Long::longValue).toArray();
                                long[] ref = new long[sel.length];
                                int[] target = new int[sel.length];
                                for (int k = 0; k < sel.length; k++) {
                                    int q = (int) (sel[k] / rb);
                                    ref[k] = ri[(int) (sel[k] % rb)];
                                    target[k] = pairIndex[Math.min(i, js[q])][Math.max(i, js[q])];
                                }
                                head.add(moved.get(new NDIndex("{}", b.create(sel))), ref, target, m);
                            }
                            if (head.full()) {
                                head.flush(m, false);
                            }
                        }
                    }
                }
                int done = 0;
                for (int j : partners) {
                    done += j > i ? 1 : 0; // count each pair once
                }
                p.step(done);
            }
            head.flush(m);
        } finally {
            mb.model.weights().release(w);
        }
    }
}
