package dev.moefrontier.compressors;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.model.Family;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.TensorLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * AIMER, calibration-free (methods.md §3): with w the concatenated gate, up and down weights of expert e (N entries),
 * AIMER_e = ||w||_1 / (sqrt(N) ||w||_2); the highest scores are pruned. Weights are read straight from the checkpoint's
 * memory maps and summed in double precision, experts in parallel; no model forward runs.
 */
public final class AimerCompressor implements ExpertScorer {
    private static final int CHUNK = 1 << 20;
    /** One staging buffer per worker thread (allocating one per expert churns native memory). */
    private static final ThreadLocal<ByteBuffer> BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(CHUNK * 4).order(ByteOrder.nativeOrder()));

    @Override
    public String name() {
        return "aimer";
    }

    @Override
    public String description() {
        return "Calibration-free: prunes experts with the highest ||w||_1 / (sqrt(N) ||w||_2) of their weights";
    }

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        return Set.of(); // weights only
    }

    @Override
    public boolean prunesHighest() {
        return true;
    }

    @Override
    public Map<Integer, double[]> scores(CompressionContext ctx, Options options) {
        return scores(ctx.config(), ctx.model().checkpoint(), ctx.model().weights().storage());
    }

    /** AIMER scores of every MoE layer of a checkpoint. */
    public static Map<Integer, double[]> scores(ModelConfig cfg, Checkpoint ckpt, TensorLayout.ExpertStorage storage) {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        int e = cfg.moe().numExperts();
        for (int l : cfg.moeLayers()) {
            double[] s = new double[e];
            IntStream.range(0, e).parallel().forEach(x -> s[x] = score(cfg, ckpt, storage, l, x));
            out.put(l, s);
        }
        return out;
    }

    private static double score(ModelConfig cfg, Checkpoint ckpt, TensorLayout.ExpertStorage storage, int layer, int e) {
        Family f = cfg.family();
        long h = cfg.hiddenSize();
        long inter = cfg.moe().intermediate();
        double[] acc = new double[2]; // Σ|w|, Σw²
        long n;
        ByteBuffer buf = BUFFER.get();
        if (storage == TensorLayout.ExpertStorage.FUSED) {
            accumulate(ckpt, ckpt.info(f.fusedGateUp(layer)), e * 2 * inter * h, 2 * inter * h, buf, acc);
            accumulate(ckpt, ckpt.info(f.fusedDown(layer)), e * h * inter, h * inter, buf, acc);
        } else {
            for (int which = 0; which < 3; which++) {
                TensorInfo t = ckpt.info(f.expert(layer, e, which));
                accumulate(ckpt, t, 0, t.numel(), buf, acc);
            }
        }
        n = 3 * h * inter;
        return acc[1] == 0 ? 0 : acc[0] / (Math.sqrt(n) * Math.sqrt(acc[1]));
    }

    private static void accumulate(Checkpoint ckpt, TensorInfo t, long offset, long count, ByteBuffer buf, double[] acc) {
        for (long o = 0; o < count; o += CHUNK) {
            int n = (int) Math.min(CHUNK, count - o);
            buf.clear();
            ckpt.readFloats(t, offset + o, n, buf);
            FloatBuffer fb = buf.flip().asFloatBuffer();
            double l1 = 0;
            double l2 = 0;
            for (int i = 0; i < n; i++) {
                double v = fb.get(i);
                l1 += Math.abs(v);
                l2 += v * v;
            }
            acc[0] += l1;
            acc[1] += l2;
        }
    }
}
