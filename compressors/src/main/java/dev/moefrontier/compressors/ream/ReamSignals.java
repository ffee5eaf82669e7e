package dev.moefrontier.compressors.ream;

import ai.djl.ndarray.NDArray;
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
                for (int e = 0; e < experts; e++) {
                    NDArray f = ev.expertOutput(e); // [N, H]
                    float[] weight = new float[chunksHere.size() * n]; // row c: p_e (or 1) on the rows of chunk c
                    for (int r = 0; r < n; r++) {
                        weight[chunksHere.indexOf(chunkOf[r]) * n + r] = (float) (gated ? p[r * experts + e] : 1);
                    }
                    float[] sums;
                    float[] norms;
                    try (NDManager scope = m.newSubManager()) {
                        NDArray w = scope.create(weight, new Shape(chunksHere.size(), n));
                        NDArray ff = f.toType(DataType.FLOAT32, false);
                        sums = w.matMul(ff).toFloatArray();
                        norms = ff.norm(new int[] {1}).toFloatArray();
                    }
                    for (int c = 0; c < chunksHere.size(); c++) {
                        double[] sig = open.get(chunksHere.get(c)).signature;
                        for (int j = 0; j < hidden; j++) {
                            sig[e * hidden + j] += sums[c * hidden + j];
                        }
                    }
                    for (int r = 0; r < n; r++) {
                        for (int s = 0; s < k; s++) {
                            if (top[r * k + s] == e) {
                                double pe = p[r * experts + e];
                                Chunk c = open.get(chunkOf[r]);
                                c.saliency[e] += pe * (gated ? pe * norms[r] : norms[r]); // p_e · ||y_e|| (methods.md §7.2)
                                c.routed[e]++;
                            }
                        }
                    }
                }
                sample(ev, n, m);
                rowsSeen += n;
                sequencesSeen += ev.batch().size();
            }

            /** Offers this batch's positions to each expert's bottom-n sample and records the activations that enter. */
            private void sample(MoeLayerEvent ev, int n, NDManager m) {
                if (samples <= 0) {
                    return;
                }
                for (int e = 0; e < experts; e++) {
                    PriorityQueue<Sample> heap = heaps.get(shared ? 0 : e);
                    if (shared && e > 0) {
                        break;
                    }
                    List<Integer> rows = new ArrayList<>();
                    List<Long> hashes = new ArrayList<>();
                    for (int r = 0; r < n; r++) {
                        long h = hash(seed, shared ? 0 : e + 1, rowsSeen + r);
                        if (heap.size() < samples || Long.compareUnsigned(h, heap.peek().hash) < 0) {
                            rows.add(r);
                            hashes.add(h);
                        }
                    }
                    if (rows.isEmpty()) {
                        continue;
                    }
                    long[] idx = rows.stream().mapToLong(Integer::longValue).toArray();
                    if (shared) { // one sample, every expert's activations on it
                        float[][] acts = new float[experts][];
                        for (int x = 0; x < experts; x++) {
                            acts[x] = activations(ev, x, idx, m);
                        }
                        for (int i = 0; i < idx.length; i++) {
                            float[] all = new float[experts * inter];
                            for (int x = 0; x < experts; x++) {
                                System.arraycopy(acts[x], i * inter, all, x * inter, inter);
                            }
                            offer(heap, new Sample(hashes.get(i), all));
                        }
                    } else {
                        float[] a = activations(ev, e, idx, m);
                        for (int i = 0; i < idx.length; i++) {
                            offer(heap, new Sample(hashes.get(i), java.util.Arrays.copyOfRange(a, i * inter, (i + 1) * inter)));
                        }
                    }
                }
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

    /** h_e on the given rows: [rows · I], row-major. */
    private static float[] activations(MoeLayerEvent ev, int expert, long[] rows, NDManager m) {
        try (NDManager scope = m.newSubManager()) {
            NDArray x = ev.input().get(new NDIndex("{}", scope.create(rows))); // [r, H]
            NDArray h = x.matMul(ev.gateUpT(expert)); // [r, 2I]
            long inter = h.getShape().getLastDimension() / 2;
            NDArray a = Ops.silu(h.get(new NDIndex("..., :{}", inter))).mul(h.get(new NDIndex("..., {}:", inter)));
            return a.toType(DataType.FLOAT32, false).toFloatArray();
        }
    }
}
