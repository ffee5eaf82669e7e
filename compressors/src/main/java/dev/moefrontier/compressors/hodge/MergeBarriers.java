package dev.moefrontier.compressors.hodge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeLayerEvent;
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
 * <p>This class holds the shared state (the cursor, each layer's cached data, budget and blocks); the per-merge
 * algorithms are {@link FullBarriers} and {@link LocalBarriers}. Layers must be asked for in ascending order.
 */
public final class MergeBarriers implements AutoCloseable {
    /** Where the next-token distribution is measured. */
    public enum Mode { FULL, LOCAL }

    /** Bytes of one block of merged-model rows through the LM head (logits, log-probabilities and the KL term). */
    static final long BLOCK_BYTES = 256L << 20;

    final MoeTransformer model;
    final CalibrationStats stats;
    final Mode mode;
    final int maxBatchTokens;
    final long budget;
    final List<TokenBatch> chunks = new ArrayList<>();
    final NDManager manager;
    final MoeTransformer.LayerCursor cursor;
    final long positions;
    final int vocab;
    final int headRows;
    // FULL: per chunk, the reference model's final-normed hidden state of its real rows [N_c, H], and (when the budget
    // keeps them) their log-probabilities [N_c, V]; row offsets of each window within the chunk's real rows.
    final List<NDArray> refHidden = new ArrayList<>();
    final List<NDArray> refLogp = new ArrayList<>();
    final List<int[]> windowRow = new ArrayList<>();
    final long baseline = Memory.rss();
    final boolean highWater = Memory.resetPeak(); // VmHWM then tracks the true peak from here
    long peak;
    // The FLOPs the merges computed so far need at the least (methods.md §4.2, "FLOP bound"): real rows only, no padding.
    private double boundFlops;
    int atLayer = -1;
    LayerData data;
    /** KL(p_merged ‖ p_orig) instead of the reference's KL(p_orig ‖ p_merged) (option {@code kl=reverse}, methods.md §4.12). */
    boolean reverseKl;

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

    /** "memory budget 6.0 GB, peak RSS 2.10 GB (+412 MB since the barriers began), FLOP bound 1.23 TFLOP". */
    public String report() {
        return "memory budget " + Memory.human(budget) + ", peak RSS " + Memory.human(peak) + " (+" + Memory.human(peakGrowth())
                + " since the barriers began), FLOP bound " + String.format(java.util.Locale.ROOT, "%.3g", boundFlops / 1e12) + " TFLOP";
    }

    /**
     * The least FLOPs of the barriers computed so far (methods.md §4.2): LOCAL, every real row of a merge through the
     * merged expert and the head, plus the reference head once per position; FULL, every token of a rerun window through
     * layers l..L and the head. Padding, recomputation and the forward to the layer are not in it.
     */
    public double flopBound() {
        return boundFlops;
    }

    void addBound(double flops) {
        boundFlops += flops;
    }

    /** Largest growth of the resident set over its size when this object was made (bytes; sampled after each block). */
    public long peakGrowth() {
        return Math.max(0, peak - baseline);
    }

    /** Whether the current layer's reference distributions are kept (else recomputed per block); for tests. */
    boolean keepsReferences() {
        return mode == Mode.FULL ? refLogp.stream().allMatch(x -> x != null) : data != null && data.refLocal != null;
    }

    long lastTrim;

    /** Returns freed memory to the system, at most once a second (a trim walks the whole heap). */
    void trim() {
        long now = System.nanoTime();
        if (now - lastTrim > 1_000_000_000L) {
            Memory.trim();
            lastTrim = System.nanoTime();
        }
    }

    void notePeak() {
        peak = Math.max(peak, highWater ? Memory.peakRss() : Memory.rss());
    }

    /** Barrier of each merge (a set of 2 or 3 experts, ascending) at MoE layer {@code layer}. */
    public double[] compute(int layer, List<int[]> merges, String label) {
        moveTo(layer);
        double[] sum = new double[merges.size()];
        try (Progress p = Progress.start(label, merges.size(), "merges")) {
            if (mode == Mode.LOCAL && merges.stream().allMatch(m -> m.length == 2)) {
                new LocalBarriers(this).pairs(layer, merges, sum, p);
            } else if (mode == Mode.LOCAL) {
                new LocalBarriers(this).merges(layer, merges, sum, p);
            } else {
                new FullBarriers(this).run(layer, merges, sum, p);
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
    NDArray logProbsBlocked(NDArray rows, NDManager out) {
        return inBlocks(rows, headRows, out, blk -> model.logits(blk).logSoftmax(-1));
    }

    /**
     * {@code f} applied to {@code x} [n, ...] in blocks of exactly {@code block} rows (the last one zero-padded, so every
     * native call has one shape), the real rows concatenated and attached to {@code to}.
     */
    static NDArray inBlocks(NDArray x, long block, NDManager to, java.util.function.UnaryOperator<NDArray> f) {
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
    static NDArray padRows(NDArray x, long rows, NDManager m) {
        long n = x.getShape().get(0);
        if (n == rows) {
            return x;
        }
        long[] s = x.getShape().getShape().clone();
        s[0] = rows - n;
        return NDArrays.concat(new NDList(x, m.zeros(new Shape(s), x.getDataType())), 0);
    }

    /** The per-row KL of this computation's direction: KL(p ‖ q) with p the original model's, or the reverse. */
    NDArray kl(NDArray logP, NDArray logQ) {
        return reverseKl ? klRows(logQ, logP) : klRows(logP, logQ);
    }

    /** Σ_v p (log p − log q) per row, from log-probs [.., V]; float32. Holds one extra [.., V] array at a time. */
    static NDArray klRows(NDArray logP, NDArray logQ) {
        try (NDArray p = logP.exp(); NDArray d = logP.sub(logQ)) {
            return d.muli(p).sum(new int[] {-1});
        }
    }

    /** The real (unpadded) rows [N, H] of a hidden state [B, T, H], on {@code m}. */
    static NDArray realRows(NDArray hidden, TokenBatch b, NDManager m) {
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
    static final class LayerData {
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

    void moveTo(int layer) {
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
    void assembleLocal(LayerData d, List<int[]> idx, List<float[]> wts, NDList xs, NDList outs, List<NDList> routedParts,
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
        addBound(rows * dev.moefrontier.harness.model.Flops.headPerToken(model.config())); // the reference, once
    }

    /**
     * What LOCAL barriers of a layer hold whatever the budget: the MoE input, layer output and k routed expert outputs
     * of every position, one partner block (merged weights and activations) and one head block.
     */
    long localFixedBytes(int k) {
        return 4L * positions * (2 + k) * model.config().hiddenSize() + 2 * BLOCK_BYTES;
    }

    /** Log-probabilities of the final norm and head of layer outputs [n, H], in row blocks of exactly {@code block}. */
    NDArray refLogProbs(NDArray out, int block, NDManager on) {
        return inBlocks(out, block, on, this::localLogProbs);
    }

    /** Log-probabilities of the LM head applied to the final norm of layer-output rows [n, H]. */
    NDArray localLogProbs(NDArray rows) {
        try (NDArray normed = Ops.rmsNorm(rows, model.weights().finalNorm(), (float) model.config().rmsEps());
                NDArray logits = model.logits(normed)) {
            return logits.logSoftmax(-1);
        }
    }

    // ---- merged expert weights ------------------------------------------------------------------------------------

    /** gate/up [H, 2I] and down [I, H] of the merge, on {@code m}. */
    NDArray[] merged(LayerWeights.Moe w, double[] a, int[] members, NDManager m) {
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

    /** Σ over positions of the local KL of one merge (any number of experts). */
    double localGeneral(int layer, int[] members) {
        return new LocalBarriers(this).general(layer, members);
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
