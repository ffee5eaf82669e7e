package dev.moefrontier.compressors.ream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.model.Ops;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * REAM's per-layer statistics over every calibration position (methods.md §7.1–7.2), one streamed pass:
 * <ul>
 *   <li>{@code signature} [E · H]: ȳ_e, the mean of y_e(x) = p_e(x) f_e(x) (f_e(x) when not gated), p = softmax of the
 *       router logits over all E experts (no top-k renormalization);</li>
 *   <li>{@code saliency} [E]: the mean over the tokens routed to e of p_e(x) · ||y_e(x)||;</li>
 *   <li>{@code logit_gram} [E · E]: Σ z zᵀ of the router logits (S_gate needs only the columns' inner products);</li>
 *   <li>{@code act} [E · n · I]: h_e(x) = silu(gate_e x) ⊙ up_e x on n seeded sample positions per expert (one sample
 *       shared by all experts with {@code shared}), samples in a fixed order.</li>
 * </ul>
 * With {@code chunk} = c > 0 the two means are taken per chunk of c calibration sequences and then averaged over chunks
 * (the reference code's mean of per-batch means, batch 8); c = 0 pools all positions. The sample of position g for
 * expert e is decided by a hash of (seed, e, g): the n positions with the smallest hashes, so batching never changes it.
 * With {@code firstLayerOnly} only the first MoE layer is observed (sequential REAM recomputes the others on the
 * partly compressed model).
 */
public final class ReamSignals implements CalibrationStatistic.Streamed {
    private final boolean gated;
    private final int chunk;
    private final int samples;
    private final boolean shared;
    private final long seed;
    private final boolean firstLayerOnly;

    public ReamSignals(boolean gated, int chunk, int samples, boolean shared, long seed, boolean firstLayerOnly) {
        this.gated = gated;
        this.chunk = chunk;
        this.samples = samples;
        this.shared = shared;
        this.seed = seed;
        this.firstLayerOnly = firstLayerOnly;
    }

    /** The same statistic observing every MoE layer. */
    public ReamSignals allLayers() {
        return new ReamSignals(gated, chunk, samples, shared, seed, false);
    }

    @Override
    public String name() {
        return "ream-signals";
    }

    @Override
    public String description() {
        return "REAM: gated output signatures, saliency, router-logit Gram and sampled neuron activations";
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public String parameters() {
        return "gated=" + gated + ",chunk=" + chunk + ",samples=" + samples + ",shared=" + shared + ",seed=" + seed
                + (firstLayerOnly ? ",first-layer" : "");
    }

    /** One layer's values, typed. */
    public record Layer(double[] saliency, double[][] signature, double[][] logitGram, double[][][] activations) {}

    /** The values of MoE layer {@code layer}. */
    public Layer of(CalibrationStats stats, int layer) {
        Map<String, double[]> v = stats.values(this, layer);
        if (v.isEmpty()) {
            throw new IllegalStateException("ream-signals: MoE layer " + layer + " was not observed");
        }
        double[] sal = v.get("saliency");
        int e = sal.length;
        double[] sig = v.get("signature");
        int h = sig.length / e;
        double[][] signature = new double[e][h];
        for (int i = 0; i < e; i++) {
            System.arraycopy(sig, i * h, signature[i], 0, h);
        }
        double[] g = v.get("logit_gram");
        double[][] gram = new double[e][e];
        for (int i = 0; i < e; i++) {
            System.arraycopy(g, i * e, gram[i], 0, e);
        }
        double[] act = v.get("act");
        int n = (int) v.get("act_samples")[0];
        int inter = n == 0 ? 0 : act.length / (e * n);
        double[][][] a = new double[e][n][inter];
        for (int i = 0; i < e; i++) {
            for (int s = 0; s < n; s++) {
                System.arraycopy(act, (i * n + s) * inter, a[i][s], 0, inter);
            }
        }
        return new Layer(sal, signature, gram, a);
    }

    /** A 64-bit mix of (seed, stream, position) (SplitMix64's finalizer), compared unsigned. */
    static long hash(long seed, long stream, long position) {
        long z = seed * 0x9E3779B97F4A7C15L + stream * 0xC2B2AE3D27D4EB4FL + position * 0x165667B19E3779F9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private record Sample(long hash, float[] act) {}

    /** Floats of one block's batched expert products ([b, N, max(2I, H)]): 64 MiB. */
    static final long BLOCK_FLOATS = 1L << 24;

    /** Running sums of one chunk. */
    private static final class Chunk {
        final double[] signature;
        final double[] saliency;
        final long[] routed;
        long tokens;

        Chunk(int experts, int hidden) {
            signature = new double[experts * hidden];
            saliency = new double[experts];
            routed = new long[experts];
        }
    }

    @Override
    public Accumulator start(ModelConfig config, int layer) {
        if (firstLayerOnly && layer != config.moeLayers().get(0)) {
            return new Accumulator() {
                @Override
                public void observe(MoeLayerEvent event) {}

                @Override
                public Map<String, double[]> values() {
                    return Map.of();
                }
            };
        }
        int experts = config.moe().numExperts();
        int hidden = config.hiddenSize();
        int inter = config.moe().intermediate();
        return new Accumulator() {
            final double[] gram = new double[experts * experts];
            final TreeMap<Long, Chunk> open = new TreeMap<>();
            final double[] signatureDone = new double[experts * hidden];
            final double[] saliencyDone = new double[experts];
            long chunksDone;
            long rowsSeen;
            long sequencesSeen;
            final List<PriorityQueue<Sample>> heaps = new ArrayList<>();

            {
                for (int e = 0; e < (shared ? 1 : experts); e++) {
                    heaps.add(new PriorityQueue<>((a, b) -> Long.compareUnsigned(b.hash, a.hash))); // largest hash on top
                }
            }

            @Override
            public void observe(MoeLayerEvent ev) {
                int n = ev.batch().rows();
                int k = ev.topK();
                NDManager m = ev.input().getManager();
                NDArray z = ev.routerLogits(); // [N, E]
                NDArray zt = z.toType(DataType.FLOAT32, false); // may be z itself: not closed here
                try (NDArray g = zt.transpose().matMul(zt)) {
                    float[] gf = g.toFloatArray();
                    for (int i = 0; i < gf.length; i++) {
                        gram[i] += gf[i];
                    }
                }
                float[] logits = zt.toFloatArray();
                double[] p = new double[n * experts]; // full softmax in double (methods.md §7.1)
                for (int r = 0; r < n; r++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int e = 0; e < experts; e++) {
                        max = Math.max(max, logits[r * experts + e]);
                    }
                    double sum = 0;
                    for (int e = 0; e < experts; e++) {
                        sum += p[r * experts + e] = Math.exp(logits[r * experts + e] - max);
                    }
                    for (int e = 0; e < experts; e++) {
                        p[r * experts + e] /= sum;
                    }
                }
                long[] chunkOf = new long[n];
                for (int r = 0; r < n; r++) {
                    long seq = sequencesSeen + ev.batch().sequenceOfRow(r);
                    chunkOf[r] = chunk > 0 ? seq / chunk : 0;
                }
                long firstChunk = chunkOf[0];
                while (!open.isEmpty() && open.firstKey() < firstChunk) { // completed chunks: fold their means in
                    fold(open.pollFirstEntry().getValue(), signatureDone, saliencyDone);
                    chunksDone++;
                }
                List<Long> chunksHere = new ArrayList<>();
                for (int r = 0; r < n; r++) {
                    if (chunksHere.isEmpty() || chunksHere.get(chunksHere.size() - 1) != chunkOf[r]) {
                        chunksHere.add(chunkOf[r]);
                    }
                    open.computeIfAbsent(chunkOf[r], c -> new Chunk(experts, hidden)).tokens++;
                }
                long[] top = ev.topkIndexArray();
                int nc = chunksHere.size();
                float[] weight = new float[experts * nc * n]; // [E, C, N]: p_e (or 1) on the rows of chunk c
                for (int r = 0; r < n; r++) {
                    int c = chunksHere.indexOf(chunkOf[r]);
                    for (int e = 0; e < experts; e++) {
                        weight[(e * nc + c) * n + r] = (float) (gated ? p[r * experts + e] : 1);
                    }
                }
                List<long[]> candidates = candidates(n);
                float[][] sampled = shared ? new float[candidates.get(0).length][experts * inter] : null;
                // Experts in blocks of one batched product each (bounded memory): h = silu(gate x) ⊙ up x, f = down h
                int block = (int) Math.max(1, Math.min(experts, BLOCK_FLOATS / ((long) n * Math.max(2L * inter, hidden))));
                for (int e0 = 0; e0 < experts; e0 += block) {
                    int e1 = Math.min(experts, e0 + block);
                    float[] sums;
                    float[] norms;
                    float[] acts;
                    try (NDManager scope = m.newSubManager()) {
                        List<NDArray> gus = new ArrayList<>();
                        List<NDArray> dns = new ArrayList<>();
                        for (int e = e0; e < e1; e++) {
                            gus.add(ev.gateUpT(e));
                            dns.add(ev.downT(e));
                        }
                        NDArray gu = NDArrays.stack(new NDList(gus)); // [b, H, 2I]
                        NDArray dn = NDArrays.stack(new NDList(dns)); // [b, I, H]
                        gu.attach(scope);
                        dn.attach(scope);
                        NDArray x = ev.input().toType(gu.getDataType(), false);
                        NDArray h = x.expandDims(0).matMul(gu); // [b, N, 2I]
                        h.attach(scope);
                        NDArray a = Ops.silu(h.get(new NDIndex("..., :{}", inter))).mul(h.get(new NDIndex("..., {}:", inter))); // [b, N, I]
                        a.attach(scope);
                        NDArray f = a.matMul(dn).toType(DataType.FLOAT32, false); // [b, N, H]
                        f.attach(scope);
                        NDArray w = scope.create(java.util.Arrays.copyOfRange(weight, e0 * nc * n, e1 * nc * n), new Shape(e1 - e0, nc, n));
                        sums = w.matMul(f).toFloatArray(); // [b, C, H]
                        norms = f.norm(new int[] {2}).toFloatArray(); // [b, N]
                        acts = samples > 0 ? gather(a, candidates, e0, e1, n, scope) : null;
                    }
                    for (int e = e0; e < e1; e++) {
                        int b = e - e0;
                        for (int c = 0; c < nc; c++) {
                            double[] sig = open.get(chunksHere.get(c)).signature;
                            for (int j = 0; j < hidden; j++) {
                                sig[e * hidden + j] += sums[(b * nc + c) * hidden + j];
                            }
                        }
                        for (int r = 0; r < n; r++) {
                            for (int t = 0; t < k; t++) {
                                if (top[r * k + t] == e) {
                                    double pe = p[r * experts + e];
                                    double norm = norms[b * n + r];
                                    Chunk c = open.get(chunkOf[r]);
                                    c.saliency[e] += pe * (gated ? pe * norm : norm); // p_e · ||y_e|| (methods.md §7.2)
                                    c.routed[e]++;
                                }
                            }
                        }
                        if (acts == null) {
                            continue;
                        }
                        long[] rows = candidates.get(shared ? 0 : e);
                        int first = 0; // this expert's rows start after the block's earlier experts' candidates
                        for (int x = e0; x < e; x++) {
                            first += candidates.get(shared ? 0 : x).length;
                        }
                        for (int i = 0; i < rows.length; i++) {
                            int off = (first + i) * inter;
                            if (shared) {
                                System.arraycopy(acts, off, sampled[i], e * inter, inter);
                            } else {
                                offer(heaps.get(e), new Sample(hash(seed, e + 1, rowsSeen + rows[i]),
                                        java.util.Arrays.copyOfRange(acts, off, off + inter)));
                            }
                        }
                    }
                }
                if (shared && samples > 0) {
                    long[] rows = candidates.get(0);
                    for (int i = 0; i < rows.length; i++) {
                        offer(heaps.get(0), new Sample(hash(seed, 0, rowsSeen + rows[i]), sampled[i]));
                    }
                }
                rowsSeen += n;
                sequencesSeen += ev.batch().size();
            }

            /**
             * Per sample stream (one when shared), the rows of this batch that will be in the bottom-n sample after it:
             * those whose hash is below the n-th smallest of the sample's hashes and this batch's, ascending.
             */
            private List<long[]> candidates(int n) {
                List<long[]> out = new ArrayList<>();
                for (int e = 0; e < (shared ? 1 : experts); e++) {
                    if (samples <= 0) {
                        out.add(new long[0]);
                        continue;
                    }
                    PriorityQueue<Sample> heap = heaps.get(e);
                    long[] h = new long[n];
                    for (int r = 0; r < n; r++) {
                        h[r] = hash(seed, shared ? 0 : e + 1, rowsSeen + r);
                    }
                    long[] all = new long[heap.size() + n];
                    int j = 0;
                    for (Sample x : heap) {
                        all[j++] = x.hash ^ Long.MIN_VALUE; // unsigned order as signed
                    }
                    for (long x : h) {
                        all[j++] = x ^ Long.MIN_VALUE;
                    }
                    java.util.Arrays.sort(all);
                    long bound = all[Math.min(samples, all.length) - 1];
                    List<Long> rows = new ArrayList<>();
                    for (int r = 0; r < n; r++) {
                        if ((h[r] ^ Long.MIN_VALUE) <= bound) {
                            rows.add((long) r);
                        }
                    }
                    out.add(rows.stream().mapToLong(Long::longValue).toArray());
                }
                return out;
            }

            /** The activations of the candidate rows of experts e0..e1 of a [b, N, I] block, expert by expert: [rows · I]. */
            private float[] gather(NDArray a, List<long[]> candidates, int e0, int e1, int n, NDManager scope) {
                List<Long> flat = new ArrayList<>();
                for (int e = e0; e < e1; e++) {
                    for (long r : candidates.get(shared ? 0 : e)) {
                        flat.add((long) (e - e0) * n + r);
                    }
                }
                if (flat.isEmpty()) {
                    return new float[0];
                }
                NDArray rows = a.reshape(-1, inter).get(new NDIndex("{}", scope.create(flat.stream().mapToLong(Long::longValue).toArray())));
                return rows.toType(DataType.FLOAT32, false).toFloatArray();
            }

            private void offer(PriorityQueue<Sample> heap, Sample s) {
                if (heap.size() < samples) {
                    heap.add(s);
                } else if (Long.compareUnsigned(s.hash, heap.peek().hash) < 0) {
                    heap.poll();
                    heap.add(s);
                }
            }

            @Override
            public Map<String, double[]> values() {
                double[] sig = signatureDone.clone();
                double[] sal = saliencyDone.clone();
                long chunks = chunksDone;
                for (Chunk c : open.values()) {
                    fold(c, sig, sal);
                    chunks++;
                }
                for (int i = 0; i < sig.length; i++) {
                    sig[i] /= Math.max(1, chunks);
                }
                for (int i = 0; i < sal.length; i++) {
                    sal[i] /= Math.max(1, chunks);
                }
                int count = heaps.get(0).size();
                double[] act = new double[experts * count * inter];
                for (int e = 0; e < experts; e++) {
                    List<Sample> sorted = new ArrayList<>(heaps.get(shared ? 0 : e));
                    sorted.sort((a, b) -> Long.compareUnsigned(a.hash, b.hash));
                    for (int s = 0; s < sorted.size(); s++) {
                        float[] v = sorted.get(s).act;
                        int off = shared ? e * inter : 0;
                        for (int j = 0; j < inter; j++) {
                            act[(e * count + s) * inter + j] = v[off + j];
                        }
                    }
                }
                Map<String, double[]> out = new LinkedHashMap<>();
                out.put("saliency", sal);
                out.put("signature", sig);
                out.put("logit_gram", gram.clone());
                out.put("act_samples", new double[] {count});
                out.put("act", act);
                return out;
            }

            private void fold(Chunk c, double[] sig, double[] sal) {
                for (int i = 0; i < sig.length; i++) {
                    sig[i] += c.tokens > 0 ? c.signature[i] / c.tokens : 0;
                }
                for (int e = 0; e < experts; e++) {
                    sal[e] += c.routed[e] > 0 ? c.saliency[e] / c.routed[e] : 0; // a chunk without e adds 0 (reference)
                }
            }
        };
    }

}
