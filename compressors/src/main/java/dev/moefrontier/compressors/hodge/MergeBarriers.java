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
import dev.moefrontier.harness.util.Memory;
import dev.moefrontier.harness.util.Progress;
import java.util.ArrayList;
import java.util.Arrays;
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
 * norm and LM head to layer l's output, where only tokens routed to a merged expert change: a token's layer output
 * moves by Σ_e w_e (f_merged − f_e) over its slots on the merged experts, with f_e the outputs the layer itself
 * computed. KL values are float32 and clamped at 0.
 *
 * <p><b>Memory.</b> What grows with the problem (vocabulary × tokens × merges) is computed in blocks of fixed shape:
 * rows of tokens routed to an expert ({@link #rowBlock}), partners evaluated together ({@link #partnerBlock}) and rows
 * per LM-head product ({@link #headRows}). The shapes depend only on the model's dimensions and the calibration size,
 * never on the budget or the machine, and a GEMM's result for a row depends only on that row when the GEMM's shape is
 * fixed, so barriers are identical under any budget. The budget (default: half the memory available at start)
 * decides whether the reference distributions of a layer are kept or recomputed block by block, and a layer whose
 * fixed need (its cached inputs and outputs plus one block) exceeds it is refused with the figures. {@link #report()}
 * gives the budget and the peak resident memory seen.
 *
 * <p>Layers must be asked for in ascending order.
 */
public final class MergeBarriers implements AutoCloseable {
    /** Where the next-token distribution is measured. */
    public enum Mode { FULL, LOCAL }

    /** Bytes of one block of merged-model rows through the LM head (logits, log-probabilities and the KL term). */
    static final long BLOCK_BYTES = 256L << 20;

    private final MoeTransformer model;
    private final CalibrationStats stats;
    private final Mode mode;
    private final int maxBatchTokens;
    private final long budget;
    private final List<TokenBatch> chunks = new ArrayList<>();
    private final NDManager manager;
    private final MoeTransformer.LayerCursor cursor;
    private final long positions;
    private final int vocab;
    private final int headRows;
    // FULL: per chunk, the reference model's final-normed hidden state of its real rows [N_c, H], and (when the budget
    // keeps them) their log-probabilities [N_c, V]; row offsets of each window within the chunk's real rows.
    private final List<NDArray> refHidden = new ArrayList<>();
    private final List<NDArray> refLogp = new ArrayList<>();
    private final List<int[]> windowRow = new ArrayList<>();
    private final long baseline = Memory.rss();
    private final boolean highWater = Memory.resetPeak(); // VmHWM then tracks the true peak from here
    private long peak;
    private int atLayer = -1;
    private LayerData data;

    /**
     * @param windows calibration windows (all are used; limit them upstream)
     * @param maxBatchTokens tokens per chunk, and per merged batch in FULL mode
     */
    public MergeBarriers(MoeTransformer model, CalibrationStats stats, List<int[]> windows, Mode mode, int maxBatchTokens) {
        this(model, stats, windows, mode, maxBatchTokens, 0);
    }

    /**
     * @param budget bytes this computation may hold beyond the model itself; 0 = half the memory available now
     */
    public MergeBarriers(MoeTransformer model, CalibrationStats stats, List<int[]> windows, Mode mode, int maxBatchTokens, long budget) {
        this.model = model;
        this.stats = stats;
        this.mode = mode;
        this.maxBatchTokens = maxBatchTokens;
        this.budget = budget > 0 ? budget : defaultBudget();
        this.vocab = model.config().vocabSize();
        this.headRows = (int) Math.max(8, Math.min(4096, BLOCK_BYTES / (3L * 4 * vocab)));
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
            long h = model.config().hiddenSize();
            long need = 4 * pos * h + 4 * BLOCK_BYTES;
            if (need > this.budget) {
                manager.close();
                throw new IllegalStateException(String.format("full merge barriers need about %s (reference states of %d positions"
                        + " and a head block) but the memory budget is %s: lower barrier_tokens or raise barrier_memory",
                        Memory.human(need), pos, Memory.human(this.budget)));
            }
            boolean keep = need + 4L * pos * vocab <= this.budget;
            for (TokenBatch b : chunks) {
                NDArray hidden = model.forward(b, ForwardObserver.NONE, manager); // final-normed [B, T, H]
                NDArray rows = realRows(hidden, b, manager);
                hidden.close();
                refHidden.add(rows);
                refLogp.add(keep ? logProbsBlocked(rows, manager) : null);
                int[] start = new int[b.size() + 1];
                for (int s = 0; s < b.size(); s++) {
                    start[s + 1] = start[s] + b.length(s);
                }
                windowRow.add(start);
                notePeak();
            }
        }
        this.cursor = model.cursor(chunks);
    }

    /** Half of MemAvailable (Linux), else a quarter of the JVM's view of physical memory, else 4 GiB. */
    static long defaultBudget() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / 2;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // fall through
        }
        return 4L << 30;
    }

    public Mode mode() {
        return mode;
    }

    /** Calibration positions the means are taken over. */
    public long positions() {
        return positions;
    }

    /** The memory budget in bytes. */
    public long budget() {
        return budget;
    }

    /** "memory budget 6.0 GB, peak RSS 2.10 GB (+412 MB since the barriers began)". */
    public String report() {
        return "memory budget " + Memory.human(budget) + ", peak RSS " + Memory.human(peak) + " (+" + Memory.human(peakGrowth())
                + " since the barriers began)";
    }

    /** Largest growth of the resident set over its size when this object was made (bytes; sampled after each block). */
    public long peakGrowth() {
        return Math.max(0, peak - baseline);
    }

    /** Whether the current layer's reference distributions are kept (else recomputed per block); for tests. */
    boolean keepsReferences() {
        return mode == Mode.FULL ? refLogp.stream().allMatch(x -> x != null) : data != null && data.refLocal != null;
    }

    private long lastTrim;

    /** Returns freed memory to the system, at most once a second (a trim walks the whole heap). */
    private void trim() {
        long now = System.nanoTime();
        if (now - lastTrim > 1_000_000_000L) {
            Memory.trim();
            lastTrim = System.nanoTime();
        }
    }

    private void notePeak() {
        peak = Math.max(peak, highWater ? Memory.peakRss() : Memory.rss());
    }

    /** Barrier of each merge (a set of 2 or 3 experts, ascending) at MoE layer {@code layer}. */
    public double[] compute(int layer, List<int[]> merges, String label) {
        moveTo(layer);
        double[] sum = new double[merges.size()];
        try (Progress p = Progress.start(label, merges.size(), "merges")) {
            if (mode == Mode.LOCAL && merges.stream().allMatch(m -> m.length == 2)) {
                localPairs(layer, merges, sum, p);
            } else if (mode == Mode.LOCAL) {
                localMerges(layer, merges, sum, p);
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

    // ---- blocked LM head ------------------------------------------------------------------------------------------

    /** Rows of the LM head per product: one block of {@link #BLOCK_BYTES}, from the vocabulary size alone. */
    int headRows() {
        return headRows;
    }

    /** Log-probabilities [n, V] of final-normed rows [n, H], in head blocks of exactly {@link #headRows} rows. */
    private NDArray logProbsBlocked(NDArray rows, NDManager out) {
        return inBlocks(rows, headRows, out, blk -> model.logits(blk).logSoftmax(-1));
    }

    /**
     * {@code f} applied to {@code x} [n, ...] in blocks of exactly {@code block} rows (the last one zero-padded, so every
     * native call has one shape), the real rows concatenated and attached to {@code to}.
     */
    private static NDArray inBlocks(NDArray x, long block, NDManager to, java.util.function.UnaryOperator<NDArray> f) {
        long n = x.getShape().get(0);
        NDList parts = new NDList();
        try (NDManager m = to.newSubManager()) {
            for (long r0 = 0; r0 < n; r0 += block) {
                long r1 = Math.min(n, r0 + block);
                NDArray part = f.apply(padRows(x.get(m, new NDIndex("{}:{}", r0, r1)), block, m)).get(new NDIndex("0:{}", r1 - r0));
                part.attach(to);
                parts.add(part);
            }
        }
        NDArray all = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
        if (parts.size() > 1) {
            parts.forEach(NDArray::close);
        }
        all.attach(to);
        return all;
    }

    /** {@code x} [n, ...] padded with zero rows to exactly {@code rows} rows (x itself when n == rows). */
    private static NDArray padRows(NDArray x, long rows, NDManager m) {
        long n = x.getShape().get(0);
        if (n == rows) {
            return x;
        }
        long[] s = x.getShape().getShape().clone();
        s[0] = rows - n;
        return NDArrays.concat(new NDList(x, m.zeros(new Shape(s), x.getDataType())), 0);
    }

    /** Σ_v p (log p − log q) per row, from log-probs [.., V]; float32. Holds one extra [.., V] array at a time. */
    private static NDArray klRows(NDArray logP, NDArray logQ) {
        try (NDArray p = logP.exp(); NDArray d = logP.sub(logQ)) {
            return d.muli(p).sum(new int[] {-1});
        }
    }

    /** The real (unpadded) rows [N, H] of a hidden state [B, T, H], on {@code m}. */
    private static NDArray realRows(NDArray hidden, TokenBatch b, NDManager m) {
        NDArray flat = hidden.reshape(-1, hidden.getShape().get(2));
        NDArray rows = flat.get(new NDIndex("{}", hidden.getManager().create(b.realPositions()))).duplicate();
        rows.attach(m);
        return rows;
    }

    // ---- layer positioning -------------------------------------------------------------------------------------

    /**
     * LOCAL data of the current layer over all calibration positions: routing, the MoE input and the layer output of
     * every real row, every routed expert output (grouped by expert, plus one zero row last), and the reference
     * log-probabilities when the budget keeps them.
     */
    private static final class LayerData {
        NDManager manager;
        int k;
        int rows;
        int[] idx; // [rows * k]
        float[] weights; // [rows * k]
        int[] routedAt; // [rows * k]: row of (row, slot) in routed
        List<int[]> rowsOf; // per expert: rows routed to it, ascending
        int[] windowOf; // FULL: per row, (chunk << 20 | window)
        List<Set<Integer>> windowsOf; // FULL: per chunk, per expert: windows with a token routed to it
        NDArray x; // [rows, H]
        NDArray out; // [rows, H]
        NDArray routed; // [rows * k + 1, H]
        NDArray refLocal; // [rows, V] or null
        int rowBlock;
        int partnerBlock;
        List<List<Set<Integer>>> chunkWindows = new ArrayList<>();
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
        LayerData d = new LayerData();
        data = d;
        d.manager = manager.newSubManager();
        int numExperts = model.config().moe().numExperts();
        long h = model.config().hiddenSize();
        int k = model.config().moe().topK();
        if (mode == Mode.LOCAL) {
            long fixed = localFixedBytes(k);
            if (fixed > budget) {
                throw new IllegalStateException(String.format("local merge barriers of layer %d need about %s (inputs, outputs and %d"
                        + " routed outputs per token of %d positions, and one block) but the memory budget is %s: lower"
                        + " barrier_tokens or raise barrier_memory", layer, Memory.human(fixed), k, positions, Memory.human(budget)));
            }
        }
        List<int[]> idx = new ArrayList<>();
        List<float[]> wts = new ArrayList<>();
        NDList xs = new NDList();
        NDList outs = new NDList();
        List<NDList> routedParts = new ArrayList<>(); // per chunk, per expert
        List<int[][]> routedRows = new ArrayList<>(); // per chunk: per expert, rows
        List<int[][]> routedSlots = new ArrayList<>();
        ForwardObserver capture = new ForwardObserver() {
            @Override
            public boolean observesMoe(int l) {
                return l == layer;
            }

            @Override
            public void onMoe(MoeLayerEvent e) {
                d.k = e.topK();
                idx.add(Arrays.stream(e.topkIndexArray()).mapToInt(v -> (int) v).toArray());
                wts.add(e.topkWeightArray());
                List<Set<Integer>> win = new ArrayList<>();
                for (int x = 0; x < numExperts; x++) {
                    win.add(new HashSet<>());
                }
                TokenBatch b = e.batch();
                long[] ix = e.topkIndexArray();
                for (int r = 0; r < b.rows(); r++) {
                    for (int s = 0; s < e.topK(); s++) {
                        win.get((int) ix[r * e.topK() + s]).add(b.sequenceOfRow(r));
                    }
                }
                d.chunkWindows.add(win);
                if (mode == Mode.LOCAL) {
                    NDArray x = e.input().duplicate();
                    x.attach(d.manager);
                    xs.add(x);
                    NDList parts = new NDList();
                    int[][] rr = new int[numExperts][];
                    int[][] ss = new int[numExperts][];
                    for (int x2 = 0; x2 < numExperts; x2++) {
                        rr[x2] = e.routedRows(x2);
                        ss[x2] = e.routedSlots(x2);
                        if (rr[x2].length > 0) {
                            NDArray o = e.routedOutputs(x2).duplicate();
                            o.attach(d.manager);
                            parts.add(o);
                        }
                    }
                    routedParts.add(parts);
                    routedRows.add(rr);
                    routedSlots.add(ss);
                }
            }

            @Override
            public boolean observesLayerOutput(int l) {
                return mode == Mode.LOCAL && l == layer;
            }

            @Override
            public void onLayerOutput(int l, TokenBatch batch, NDArray hidden) {
                outs.add(realRows(hidden, batch, d.manager));
            }
        };
        cursor.peek(ModelPatch.NONE, capture);
        atLayer = layer;
        if (mode == Mode.LOCAL) {
            assembleLocal(d, idx, wts, xs, outs, routedParts, routedRows, routedSlots, numExperts);
        }
        notePeak();
    }

    /** Concatenates the chunks' LOCAL data into layer-wide arrays and fixes the block shapes. */
    private void assembleLocal(LayerData d, List<int[]> idx, List<float[]> wts, NDList xs, NDList outs, List<NDList> routedParts,
            List<int[][]> routedRows, List<int[][]> routedSlots, int numExperts) {
        int k = d.k;
        int rows = 0;
        for (int[] a : idx) {
            rows += a.length / k;
        }
        d.rows = rows;
        d.idx = new int[rows * k];
        d.weights = new float[rows * k];
        d.routedAt = new int[rows * k];
        NDList routedAll = new NDList();
        int base = 0;
        int routedBase = 0;
        List<List<Integer>> rowsOf = new ArrayList<>();
        for (int e = 0; e < numExperts; e++) {
            rowsOf.add(new ArrayList<>());
        }
        for (int c = 0; c < idx.size(); c++) {
            int n = idx.get(c).length / k;
            System.arraycopy(idx.get(c), 0, d.idx, base * k, n * k);
            System.arraycopy(wts.get(c), 0, d.weights, base * k, n * k);
            for (int e = 0; e < numExperts; e++) {
                int[] rr = routedRows.get(c)[e];
                int[] ss = routedSlots.get(c)[e];
                for (int i = 0; i < rr.length; i++) {
                    d.routedAt[(base + rr[i]) * k + ss[i]] = routedBase + i;
                    rowsOf.get(e).add(base + rr[i]);
                }
                routedBase += rr.length;
            }
            routedAll.addAll(routedParts.get(c));
            base += n;
        }
        long h = model.config().hiddenSize();
        routedAll.add(d.manager.zeros(new Shape(1, h))); // the zero row: outputs of slots not on a merged expert
        d.routed = NDArrays.concat(routedAll, 0);
        d.routed.attach(d.manager);
        routedAll.forEach(NDArray::close);
        d.x = xs.size() == 1 ? xs.get(0) : NDArrays.concat(xs, 0);
        d.out = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 0);
        d.x.attach(d.manager);
        d.out.attach(d.manager);
        d.rowsOf = new ArrayList<>();
        for (List<Integer> l : rowsOf) {
            int[] a = l.stream().mapToInt(Integer::intValue).toArray();
            Arrays.sort(a);
            d.rowsOf.add(a);
        }
        // Block shapes from the problem's dimensions only (see the class comment).
        long meanRows = Math.max(1, (long) rows * k / numExperts);
        d.rowBlock = (int) Math.min(64, Long.highestOneBit(meanRows));
        // Per partner: its merged weights (gathered and merged: twice gate/up and down) and the activations of one row
        // block; the head runs separately, in blocks of headRows.
        long inter = model.config().moe().intermediate();
        long perPartner = 4L * d.rowBlock * (6 * h + 4 * inter) + 4L * 2 * 3 * h * inter;
        d.partnerBlock = (int) Math.max(1, Math.min(numExperts - 1, BLOCK_BYTES / perPartner));
        if (localFixedBytes(k) + 4L * rows * vocab <= budget) {
            d.refLocal = refLogProbs(d.out, d.rowBlock, d.manager);
        }
    }

    /**
     * What LOCAL barriers of a layer hold whatever the budget: the MoE input, layer output and k routed expert outputs
     * of every position, one partner block (merged weights and activations) and one head block.
     */
    long localFixedBytes(int k) {
        return 4L * positions * (2 + k) * model.config().hiddenSize() + 2 * BLOCK_BYTES;
    }

    /** Log-probabilities of the final norm and head of layer outputs [n, H], in row blocks of exactly {@code block}. */
    private NDArray refLogProbs(NDArray out, int block, NDManager on) {
        return inBlocks(out, block, on, this::localLogProbs);
    }

    /** Log-probabilities of the LM head applied to the final norm of layer-output rows [n, H]. */
    private NDArray localLogProbs(NDArray rows) {
        try (NDArray normed = Ops.rmsNorm(rows, model.weights().finalNorm(), (float) model.config().rmsEps());
                NDArray logits = model.logits(normed)) {
            return logits.logSoftmax(-1);
        }
    }

    // ---- merged expert weights ------------------------------------------------------------------------------------

    /** gate/up [H, 2I] and down [I, H] of the merge, on {@code m}. */
    private NDArray[] merged(LayerWeights.Moe w, double[] a, int[] members, NDManager m) {
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
                List<Set<Integer>> windowsOf = data.chunkWindows.get(c);
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
        trim(); // the previous group's blocks go back to the system first
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
                NDArray[] mw = merged(w.moe(), mergeWeights(layer, members), members, g);
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
                    windowOfSeq.add(win[i]);
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
            NDArray[] merged = new NDArray[1];
            try (MoeTransformer.LayerCursor rest = model.cursorAt(layer + 1, List.of(bigBatch), List.of(big))) {
                while (rest.next() < model.config().numLayers()) {
                    rest.advance(ModelPatch.NONE, ForwardObserver.NONE);
                }
                rest.finish((i, b, hidden) -> merged[0] = realRows(hidden, b, g)); // final-normed [rows, H]
            }
            notePeak();
            // The reference rows of the same windows, in the same order.
            int[] start = windowRow.get(chunk);
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
        for (int r0 = 0; r0 < n; r0 += headRows) {
            int r1 = Math.min(n, r0 + headRows);
            try (NDManager m = on.newSubManager()) {
                // Every product, softmax and sum below has the fixed shape [headRows, ...] (padded rows are ignored).
                NDArray q = model.logits(padRows(mergedRows.get(m, new NDIndex("{}:{}", r0, r1)), headRows, m)).logSoftmax(-1);
                NDArray ids = m.create(Arrays.copyOfRange(refRows, r0, r1));
                NDArray p = refLogp.get(chunk) != null ? padRows(refLogp.get(chunk).get(m, new NDIndex("{}", ids)), headRows, m)
                        : model.logits(padRows(refHidden.get(chunk).get(m, new NDIndex("{}", ids)), headRows, m)).logSoftmax(-1);
                float[] v = klRows(p, q).toType(DataType.FLOAT32, false).toFloatArray();
                System.arraycopy(v, 0, out, r0, r1 - r0);
                notePeak();
            }
        }
        return out;
    }

    // ---- LOCAL mode ------------------------------------------------------------------------------------------------

    /**
     * Moved layer-output rows waiting for the LM head, each with the row whose reference distribution it is compared
     * with and the merge its KL belongs to. The head runs on blocks of exactly {@link #headRows} rows (the last one
     * padded), so a row's KL depends only on that row.
     */
    private final class PendingHead {
        private final LayerData d;
        private final double[] sum;
        private final NDList moved = new NDList(); // [n_b, H] pieces
        private final List<long[]> refOf = new ArrayList<>();
        private final List<int[]> mergeOf = new ArrayList<>();
        private int rows;

        PendingHead(LayerData d, double[] sum) {
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
            moved.add(part);
            refOf.add(ref);
            mergeOf.add(merge);
            rows += n;
        }

        /** Runs the head on everything queued (the tail padded to a full block) and adds each KL to its merge. */
        void flush(NDManager on) {
            if (rows == 0) {
                return;
            }
            trim(); // blocks freed since the last flush go back to the system before the next ones are made
            long h = model.config().hiddenSize();
            long[] ref = new long[rows];
            int[] merge = new int[rows];
            int at = 0;
            for (int k = 0; k < refOf.size(); k++) {
                System.arraycopy(refOf.get(k), 0, ref, at, refOf.get(k).length);
                System.arraycopy(mergeOf.get(k), 0, merge, at, mergeOf.get(k).length);
                at += refOf.get(k).length;
            }
            try (NDManager m = on.newSubManager()) {
                NDArray all = moved.size() == 1 ? moved.get(0) : NDArrays.concat(moved, 0); // [rows, H]
                all.attach(m);
                for (int r0 = 0; r0 < rows; r0 += headRows) {
                    int r1 = Math.min(rows, r0 + headRows);
                    try (NDManager hm = m.newSubManager()) {
                        NDArray q = localLogProbs(padRows(all.get(hm, new NDIndex("{}:{}", r0, r1)), headRows, hm)); // [headRows, V]
                        long[] ids = new long[headRows];
                        for (int r = 0; r < headRows; r++) {
                            ids[r] = ref[r0 + Math.min(r, r1 - r0 - 1)];
                        }
                        NDArray idx = hm.create(ids);
                        NDArray p = d.refLocal != null ? d.refLocal.get(hm, new NDIndex("{}", idx))
                                : localLogProbs(d.out.get(hm, new NDIndex("{}", idx)));
                        float[] kl = klRows(p, q).toType(DataType.FLOAT32, false).toFloatArray();
                        for (int r = r0; r < r1; r++) {
                            sum[merge[r]] += kl[r - r0];
                        }
                        notePeak();
                    }
                }
            }
            moved.forEach(NDArray::close);
            moved.clear();
            refOf.clear();
            mergeOf.clear();
            rows = 0;
        }

        boolean full() {
            return rows >= headRows;
        }
    }

    /** Σ over positions of the local KL of one merge (any number of experts). */
    double localGeneral(int layer, int[] members) {
        moveTo(layer);
        double[] total = new double[1];
        localMerges(layer, List.of(members), total, null);
        return total[0];
    }

    /** LOCAL barriers of merges of any size, one merge at a time (rows: those routed to any member). */
    private void localMerges(int layer, List<int[]> merges, double[] sum, Progress p) {
        LayerData d = data;
        LayerWeights w = model.weights().acquire(layer);
        int rb = d.rowBlock;
        try (NDManager m = manager.newSubManager()) {
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
                    NDArray[] mw = merged(w.moe(), mergeWeights(layer, members), members, mm);
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
                            head.flush(m);
                        }
                    }
                }
                if (p != null) {
                    p.step(1);
                }
            }
            head.flush(m);
        } finally {
            model.weights().release(w);
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
    private static void slotsOn(LayerData d, long[] rows, int n, int e, long[] at, float[] w) {
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
    private void localPairs(int layer, List<int[]> merges, double[] sum, Progress p) {
        LayerData d = data;
        int e = model.config().moe().numExperts();
        int[][] pairIndex = new int[e][e];
        for (int[] row : pairIndex) {
            Arrays.fill(row, -1);
        }
        for (int q = 0; q < merges.size(); q++) {
            pairIndex[merges.get(q)[0]][merges.get(q)[1]] = q;
        }
        LayerWeights w = model.weights().acquire(layer);
        long[] counts = new long[e];
        for (int x = 0; x < e; x++) {
            counts[x] = stats.layer(layer).count(x);
        }
        long h = model.config().hiddenSize();
        int rb = d.rowBlock;
        int pb = d.partnerBlock;
        long zero = d.routed.getShape().get(0) - 1;
        try (NDManager m = manager.newSubManager()) {
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
                                head.flush(m);
                            }
                        }
                    }
                }
                head.flush(m);
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

    @Override
    public void close() {
        if (data != null) {
            data.manager.close();
        }
        cursor.close();
        manager.close();
    }
}
