package dev.moefrontier.compressors.hodge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.model.MoeOverride;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.Ops;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.util.Progress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Merge barriers of methods.md §4.2 / §4.4: for a set of experts of layer l, b = mean over calibration positions of
 * KL(p_orig || p_merged), where p_merged is the model with those experts' weights all replaced by their
 * frequency-weighted average (plain mean when every frequency is 0), router unchanged.
 *
 * <p>{@link Mode#FULL} measures p at the model's output. The hidden states entering layer l are cached (one cursor
 * advanced layer by layer), only layers l..L are recomputed, and only for the windows in which some token is routed to a
 * merged expert (the others are unchanged, KL exactly 0); many merges are evaluated per batch by concatenating their
 * layer-l outputs along the batch dimension before layers l+1..L. {@link Mode#LOCAL} measures p by applying the final
 * norm and LM head to layer l's output, where only tokens routed to a merged expert change; pairs are evaluated in
 * groups sharing their first expert, using that a merged expert's pre-activations are the frequency-weighted mix of its
 * members' (gate·x and up·x are linear in the weights). KL values are float32 and clamped at 0.
 *
 * <p>Layers must be asked for in ascending order.
 */
public final class MergeBarriers implements AutoCloseable {
    /** Where the next-token distribution is measured. */
    public enum Mode { FULL, LOCAL }

    private final MoeTransformer model;
    private final CalibrationStats stats;
    private final Mode mode;
    private final int maxBatchTokens;
    private final List<TokenBatch> chunks = new ArrayList<>();
    private final NDManager manager;
    private final MoeTransformer.LayerCursor cursor;
    private final List<NDArray> reference = new ArrayList<>(); // FULL: log-probs [B, T, V] per chunk
    private final long positions;
    private int atLayer = -1;
    private LayerData data; // routing (and LOCAL data) of layer atLayer

    /**
     * @param windows calibration windows (all are used; limit them upstream)
     * @param maxBatchTokens tokens per chunk, and per merged batch in FULL mode
     */
    public MergeBarriers(MoeTransformer model, CalibrationStats stats, List<int[]> windows, Mode mode, int maxBatchTokens) {
        this.model = model;
        this.stats = stats;
        this.mode = mode;
        this.maxBatchTokens = maxBatchTokens;
        List<int[]> cur = new ArrayList<>();
        int maxLen = 0;
        long pos = 0;
        for (int[] w : windows) {
            int len = Math.max(maxLen, w.length);
            if (!cur.isEmpty() && (long) len * (cur.size() + 1) > maxBatchTokens) {
                chunks.add(new TokenBatch(cur));
                cur = new ArrayList<>();
                len = w.length;
            }
            cur.add(w);
            maxLen = len;
            pos += w.length;
        }
        if (!cur.isEmpty()) {
            chunks.add(new TokenBatch(cur));
        }
        this.positions = pos;
        this.manager = model.manager().newSubManager();
        if (mode == Mode.FULL) {
            for (TokenBatch b : chunks) {
                NDArray hidden = model.forward(b, ForwardObserver.NONE, manager);
                NDArray lp = model.logits(hidden).logSoftmax(-1);
                hidden.close();
                reference.add(lp);
            }
        }
        this.cursor = model.cursor(chunks);
    }

    public Mode mode() {
        return mode;
    }

    /** Calibration positions the means are taken over. */
    public long positions() {
        return positions;
    }

    /** Barrier of each merge (a set of 2 or 3 experts, ascending) at MoE layer {@code layer}. */
    public double[] compute(int layer, List<int[]> merges, String label) {
        moveTo(layer);
        double[] sum = new double[merges.size()];
        try (Progress p = Progress.start(label, merges.size(), "merges")) {
            if (mode == Mode.LOCAL && merges.stream().allMatch(m -> m.length == 2)) {
                localPairs(layer, merges, sum, p);
            } else if (mode == Mode.LOCAL) {
                for (int i = 0; i < merges.size(); i++) {
                    sum[i] = localGeneral(layer, merges.get(i));
                    p.step(1);
                }
            } else {
                full(layer, merges, sum, p);
            }
        }
        double[] out = new double[sum.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.max(0, sum[i] / positions);
        }
        return out;
    }

    /** All pair barriers of a layer as an E×E matrix. */
    public double[][] pairMatrix(int layer, int experts) {
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < experts; i++) {
            for (int j = i + 1; j < experts; j++) {
                pairs.add(new int[] {i, j});
            }
        }
        double[] v = compute(layer, pairs, "barriers L" + layer + " pairs");
        double[][] b = new double[experts][experts];
        for (int k = 0; k < pairs.size(); k++) {
            b[pairs.get(k)[0]][pairs.get(k)[1]] = b[pairs.get(k)[1]][pairs.get(k)[0]] = v[k];
        }
        return b;
    }

    /** Frequency-weighted merge weights of a set of experts at a layer. */
    double[] mergeWeights(int layer, int[] members) {
        long[] counts = new long[stats.layer(layer).experts()];
        for (int e = 0; e < counts.length; e++) {
            counts[e] = stats.layer(layer).count(e);
        }
        return dev.moefrontier.harness.compress.ExpertMerge.frequencyWeights(members, counts);
    }

    // ---- layer positioning -------------------------------------------------------------------------------------

    /** Routing and (LOCAL) layer inputs/outputs of one chunk at the current layer. */
    private static final class ChunkData {
        long[] idx; // [N * k]
        float[] weights; // [N * k]
        int k;
        Set<Integer>[] windowsOf; // per expert: windows (sequence indices) with a token routed to it
        NDArray x; // LOCAL: [N, H]
        NDArray out; // LOCAL: layer output of the real rows [N, H]
        NDArray refLocal; // LOCAL: log-probs [N, V]
    }

    private static final class LayerData {
        final List<ChunkData> chunks = new ArrayList<>();
        NDManager manager;
    }

    private void moveTo(int layer) {
        if (layer < atLayer) {
            throw new IllegalStateException("layers must be asked for in ascending order (" + layer + " after " + atLayer + ")");
        }
        if (layer == atLayer) {
            return;
        }
        while (cursor.next() < layer) {
            cursor.advance(ModelPatch.NONE, ForwardObserver.NONE);
        }
        if (data != null) {
            data.manager.close();
        }
        data = new LayerData();
        data.manager = manager.newSubManager();
        int numExperts = model.config().moe().numExperts();
        final int[] chunk = {0};
        ForwardObserver capture = new ForwardObserver() {
            @Override
            public boolean observesMoe(int l) {
                return l == layer;
            }

            @SuppressWarnings("unchecked")
            @Override
            public void onMoe(MoeLayerEvent e) {
                ChunkData c = new ChunkData();
                c.idx = e.topkIndexArray();
                c.weights = e.topkWeightArray();
                c.k = e.topK();
                c.windowsOf = new Set[numExperts];
                for (int x = 0; x < numExperts; x++) {
                    c.windowsOf[x] = new HashSet<>();
                }
                TokenBatch b = e.batch();
                for (int r = 0; r < b.rows(); r++) {
                    for (int s = 0; s < c.k; s++) {
                        c.windowsOf[(int) c.idx[r * c.k + s]].add(b.sequenceOfRow(r));
                    }
                }
                if (mode == Mode.LOCAL) {
                    c.x = e.input().duplicate();
                    c.x.attach(data.manager);
                }
                data.chunks.add(c);
            }

            @Override
            public boolean observesLayerOutput(int l) {
                return mode == Mode.LOCAL && l == layer;
            }

            @Override
            public void onLayerOutput(int l, TokenBatch batch, NDArray hidden) {
                ChunkData c = data.chunks.get(chunk[0]++);
                NDArray flat = hidden.reshape(-1, hidden.getShape().get(2));
                NDArray rows = flat.get(new NDIndex("{}", hidden.getManager().create(batch.realPositions()))).duplicate();
                rows.attach(data.manager);
                c.out = rows;
                c.refLocal = logProbs(rows);
            }
        };
        cursor.peek(ModelPatch.NONE, capture);
        atLayer = layer;
    }

    /** Log-probabilities of the LM head applied to the final norm of hidden rows [n, H]. */
    private NDArray logProbs(NDArray rows) {
        NDArray normed = Ops.rmsNorm(rows, model.weights().finalNorm(), (float) model.config().rmsEps());
        return model.logits(normed).logSoftmax(-1);
    }

    /** Σ over rows of KL(p || q) from log-probs [.., V] (float32, then summed in double). */
    private static double klSum(NDArray logP, NDArray logQ) {
        NDArray kl = logP.exp().mul(logP.sub(logQ)).sum(new int[] {-1});
        double s = 0;
        for (float f : kl.toType(DataType.FLOAT32, false).toFloatArray()) {
            s += f;
        }
        return s;
    }

    // ---- merged expert weights ------------------------------------------------------------------------------------

    /** gate/up [H, 2I] and down [I, H] of the merge, on {@code m}. */
    private NDArray[] merged(LayerWeights.Moe w, int layer, int[] members, NDManager m) {
        double[] a = mergeWeights(layer, members);
        NDArray gu = null;
        NDArray dn = null;
        for (int i = 0; i < members.length; i++) {
            NDArray g = w.gateUpT().get(members[i]).mul((float) a[i]);
            NDArray d = w.downT().get(members[i]).mul((float) a[i]);
            g.attach(m);
            d.attach(m);
            gu = gu == null ? g : gu.addi(g);
            dn = dn == null ? d : dn.addi(d);
        }
        return new NDArray[] {gu, dn};
    }

    // ---- FULL mode -------------------------------------------------------------------------------------------------

    private void full(int layer, List<int[]> merges, double[] sum, Progress p) {
        LayerWeights w = model.weights().acquire(layer);
        try (NDManager m = manager.newSubManager()) {
            for (int c = 0; c < chunks.size(); c++) {
                TokenBatch batch = chunks.get(c);
                ChunkData cd = data.chunks.get(c);
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
                            win.addAll(cd.windowsOf[e]);
                        }
                        long need = (long) win.size() * t;
                        if (!group.isEmpty() && tokens + need > Math.max(maxBatchTokens, t)) {
                            break;
                        }
                        group.add(end);
                        affected.add(win.stream().mapToInt(Integer::intValue).toArray());
                        tokens += need;
                        end++;
                    }
                    fullGroup(layer, w, m, c, merges, group, affected, sum);
                    if (c == chunks.size() - 1) {
                        p.step(group.size());
                    }
                    start = end;
                }
            }
        } finally {
            model.weights().release(w);
        }
    }

    private void fullGroup(int layer, LayerWeights w, NDManager m, int chunk, List<int[]> merges, List<Integer> group,
            List<int[]> affected, double[] sum) {
        TokenBatch batch = chunks.get(chunk);
        NDArray h = cursor.hidden(chunk); // [B, T, H] entering layer
        try (NDManager g = m.newSubManager()) {
            NDList outs = new NDList();
            List<int[]> seqs = new ArrayList<>();
            List<Integer> owner = new ArrayList<>(); // per concatenated window: index into group
            for (int gi = 0; gi < group.size(); gi++) {
                int[] win = affected.get(gi);
                if (win.length == 0) {
                    continue; // no token routed to these experts: the model is unchanged, KL 0
                }
                int[] members = merges.get(group.get(gi));
                NDArray[] mw = merged(w.moe(), layer, members, g);
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
                    sub.add(batch.sequence(win[i]));
                    idx[i] = win[i];
                    owner.add(gi);
                }
                NDArray hs = h.get(g, new NDIndex("{}", g.create(idx)));
                try (MoeTransformer.LayerCursor one = model.cursorAt(layer, List.of(new TokenBatch(sub)), List.of(hs))) {
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
            long[] windowIdx = new long[owner.size()];
            int col = 0;
            for (int gi = 0; gi < group.size(); gi++) {
                for (int wdx : affected.get(gi)) {
                    windowIdx[col++] = wdx;
                }
            }
            NDArray ref = reference.get(chunk).get(g, new NDIndex("{}", g.create(windowIdx))); // [W, T, V]
            double[] perWindow = new double[owner.size()];
            try (MoeTransformer.LayerCursor rest = model.cursorAt(layer + 1, List.of(bigBatch), List.of(big))) {
                while (rest.next() < model.config().numLayers()) {
                    rest.advance(ModelPatch.NONE, ForwardObserver.NONE);
                }
                rest.finish((i, b, hidden) -> {
                    NDArray lq = model.logits(hidden).logSoftmax(-1); // [W, T, V]
                    NDArray kl = ref.exp().mul(ref.sub(lq)).sum(new int[] {-1}); // [W, T]
                    float[] v = kl.toType(DataType.FLOAT32, false).toFloatArray();
                    int tt = (int) kl.getShape().get(1);
                    for (int s = 0; s < b.size(); s++) {
                        double acc = 0;
                        for (int pos = 0; pos < b.length(s); pos++) { // real positions only
                            acc += v[s * tt + pos];
                        }
                        perWindow[s] = acc;
                    }
                });
            }
            for (int i = 0; i < owner.size(); i++) {
                sum[group.get(owner.get(i))] += perWindow[i];
            }
        }
    }

    // ---- LOCAL mode ------------------------------------------------------------------------------------------------

    /** Σ over positions of the local KL of one merge (any number of experts), merge by merge. */
    double localGeneral(int layer, int[] members) {
        LayerWeights w = model.weights().acquire(layer);
        double total = 0;
        try (NDManager m = manager.newSubManager()) {
            NDArray[] mw = merged(w.moe(), layer, members, m);
            for (ChunkData c : data.chunks) {
                int n = c.idx.length / c.k;
                List<Integer> rows = new ArrayList<>();
                List<float[]> coef = new ArrayList<>(); // per affected row: gate weight on each member
                for (int r = 0; r < n; r++) {
                    float[] wt = new float[members.length];
                    boolean hit = false;
                    for (int s = 0; s < c.k; s++) {
                        for (int q = 0; q < members.length; q++) {
                            if (c.idx[r * c.k + s] == members[q]) {
                                wt[q] += c.weights[r * c.k + s];
                                hit = true;
                            }
                        }
                    }
                    if (hit) {
                        rows.add(r);
                        coef.add(wt);
                    }
                }
                if (rows.isEmpty()) {
                    continue;
                }
                NDArray ri = m.create(rows.stream().mapToLong(Integer::longValue).toArray());
                NDArray xr = c.x.get(m, new NDIndex("{}", ri)); // [R, H]
                NDArray fm = Ops.swiglu(xr, mw[0], mw[1]); // merged expert on the affected rows
                NDArray delta = null;
                for (int q = 0; q < members.length; q++) {
                    float[] col = new float[rows.size()];
                    for (int i = 0; i < col.length; i++) {
                        col[i] = coef.get(i)[q];
                    }
                    NDArray wq = m.create(col, new Shape(col.length, 1));
                    NDArray fe = Ops.swiglu(xr, w.moe().gateUpT().get(members[q]), w.moe().downT().get(members[q]));
                    NDArray term = fm.sub(fe).muli(wq); // w_q (f_merged − f_q)
                    delta = delta == null ? term : delta.addi(term);
                }
                NDArray h2 = c.out.get(m, new NDIndex("{}", ri)).add(delta);
                total += klSum(c.refLocal.get(m, new NDIndex("{}", ri)), logProbs(h2));
            }
        } finally {
            model.weights().release(w);
        }
        return total;
    }

    /** All pairs (i, j) grouped by i: one batched evaluation of every partner's merged expert per group. */
    private void localPairs(int layer, List<int[]> merges, double[] sum, Progress p) {
        int e = model.config().moe().numExperts();
        int[][] pairIndex = new int[e][e];
        for (int[] row : pairIndex) {
            java.util.Arrays.fill(row, -1);
        }
        for (int k = 0; k < merges.size(); k++) {
            pairIndex[merges.get(k)[0]][merges.get(k)[1]] = k;
        }
        LayerWeights w = model.weights().acquire(layer);
        long[] counts = new long[e];
        for (int x = 0; x < e; x++) {
            counts[x] = stats.layer(layer).count(x);
        }
        try (NDManager m = manager.newSubManager()) {
            NDList gus = new NDList();
            NDList dns = new NDList();
            for (int x = 0; x < e; x++) {
                gus.add(w.moe().gateUpT().get(x));
                dns.add(w.moe().downT().get(x));
            }
            NDArray guAll = NDArrays.concat(gus, 1); // [H, E * 2I]
            guAll.attach(m);
            NDArray dnAll = NDArrays.stack(dns, 0); // [E, I, H]
            dnAll.attach(m);
            long h = model.config().hiddenSize();
            long inter = model.config().moe().intermediate();
            for (int i = 0; i < e; i++) {
                List<Integer> partners = new ArrayList<>();
                for (int j = 0; j < e; j++) {
                    int a = Math.min(i, j);
                    int b = Math.max(i, j);
                    if (j != i && pairIndex[a][b] >= 0) {
                        partners.add(j);
                    }
                }
                if (!partners.isEmpty()) {
                    for (int c = 0; c < data.chunks.size(); c++) {
                        localGroup(i, partners, data.chunks.get(c), w.moe(), guAll, dnAll, counts, h, inter, pairIndex, sum, m);
                    }
                }
                int done = 0;
                for (int j : partners) {
                    done += j > i ? 1 : 0; // count each pair once
                }
                p.step(done);
            }
        } finally {
            model.weights().release(w);
        }
    }

    /**
     * Rows routed to expert i, merged with each partner j: the pair (i, j) gets these rows' contribution, except rows
     * also routed to j when j &lt; i (they were counted in j's group, with both slots).
     */
    private void localGroup(int i, List<Integer> partners, ChunkData c, LayerWeights.Moe w, NDArray guAll, NDArray dnAll,
            long[] counts, long h, long inter, int[][] pairIndex, double[] sum, NDManager parent) {
        int k = c.k;
        int n = c.idx.length / k;
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            for (int s = 0; s < k; s++) {
                if (c.idx[r * k + s] == i) {
                    rows.add(r);
                    break;
                }
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        int nr = rows.size();
        int np = partners.size();
        float[] wi = new float[nr]; // gate weight of row r on i
        float[][] wj = new float[np][nr]; // gate weight of row r on partner j (0 if not routed)
        boolean[][] skip = new boolean[np][nr];
        for (int a = 0; a < nr; a++) {
            int r = rows.get(a);
            for (int s = 0; s < k; s++) {
                int ex = (int) c.idx[r * k + s];
                float g = c.weights[r * k + s];
                if (ex == i) {
                    wi[a] += g;
                }
                for (int b = 0; b < np; b++) {
                    if (ex == partners.get(b)) {
                        wj[b][a] += g;
                        skip[b][a] = partners.get(b) < i; // the row was handled in the partner's group
                    }
                }
            }
        }
        float[] ai = new float[np]; // merge weight of i in pair (i, j)
        float[] aj = new float[np];
        long[] partnerIdx = new long[np];
        for (int b = 0; b < np; b++) {
            int j = partners.get(b);
            double[] mw = dev.moefrontier.harness.compress.ExpertMerge.frequencyWeights(new int[] {i, j}, counts);
            ai[b] = (float) mw[0];
            aj[b] = (float) mw[1];
            partnerIdx[b] = j;
        }
        try (NDManager m = parent.newSubManager()) {
            NDArray ri = m.create(rows.stream().mapToLong(Integer::longValue).toArray());
            NDArray xr = c.x.get(m, new NDIndex("{}", ri)); // [n, H]
            NDArray preAll = xr.matMul(guAll).reshape(nr, -1, 2 * inter); // [n, E, 2I]: every expert's pre-activations
            NDArray pj = preAll.get(new NDIndex(":, {}", m.create(partnerIdx))); // [n, P, 2I]
            NDArray pi = preAll.get(new NDIndex(":, {}:{}", i, i + 1)); // [n, 1, 2I]
            NDArray aiN = m.create(ai, new Shape(1, np, 1));
            NDArray ajN = m.create(aj, new Shape(1, np, 1));
            NDArray pre = pi.mul(aiN).addi(pj.mul(ajN)); // merged pre-activations [n, P, 2I]
            NDArray act = Ops.silu(pre.get(new NDIndex("..., :{}", inter))).muli(pre.get(new NDIndex("..., {}:", inter))); // [n, P, I]
            NDArray viaI = act.reshape(-1, inter).matMul(w.downT().get(i)).reshape(nr, np, h); // act @ down_i
            NDArray dnJ = dnAll.get(new NDIndex("{}", m.create(partnerIdx))); // [P, I, H]
            NDArray viaJ = act.transpose(1, 0, 2).matMul(dnJ).transpose(1, 0, 2); // act @ down_j: [n, P, H]
            NDArray fm = viaI.mul(aiN).addi(viaJ.mul(ajN)); // merged expert output [n, P, H]
            NDArray fi = Ops.swiglu(xr, w.gateUpT().get(i), w.downT().get(i)).expandDims(1); // [n, 1, H]
            // partners' own outputs on these rows, needed where a row is routed to both i and j
            NDArray actJ = Ops.silu(pj.get(new NDIndex("..., :{}", inter))).muli(pj.get(new NDIndex("..., {}:", inter)));
            NDArray fj = actJ.transpose(1, 0, 2).matMul(dnJ).transpose(1, 0, 2); // [n, P, H]
            NDArray wiN = m.create(wi, new Shape(nr, 1, 1));
            float[] wjFlat = new float[nr * np];
            for (int a = 0; a < nr; a++) {
                for (int b = 0; b < np; b++) {
                    wjFlat[a * np + b] = wj[b][a];
                }
            }
            NDArray wjN = m.create(wjFlat, new Shape(nr, np, 1));
            NDArray delta = fm.sub(fi).muli(wiN).addi(fm.sub(fj).muli(wjN)); // [n, P, H]
            NDArray h2 = c.out.get(m, new NDIndex("{}", ri)).expandDims(1).add(delta).reshape(-1, h); // [n * P, H]
            NDArray ref = c.refLocal.get(m, new NDIndex("{}", ri)); // [n, V]
            NDArray lq = logProbs(h2).reshape(nr, np, -1);
            NDArray lp = ref.expandDims(1);
            NDArray kl = lp.exp().mul(lp.sub(lq)).sum(new int[] {-1}); // [n, P]
            float[] v = kl.toType(DataType.FLOAT32, false).toFloatArray();
            for (int b = 0; b < np; b++) {
                int j = partners.get(b);
                int pair = pairIndex[Math.min(i, j)][Math.max(i, j)];
                double acc = 0;
                for (int a = 0; a < nr; a++) {
                    if (!skip[b][a]) {
                        acc += v[a * np + b];
                    }
                }
                sum[pair] += acc;
            }
        }
    }

    @Override
    public void close() {
        if (data != null) {
            data.manager.close();
        }
        cursor.close();
        manager.close();
    }
}
