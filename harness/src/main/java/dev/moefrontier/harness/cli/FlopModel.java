package dev.moefrontier.harness.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.runtime.Engines;

/** The roofline model of {@code bench forward}: forward FLOPs per token and the measured matmul throughput. */
final class FlopModel {
    private FlopModel() {}

    /** Best-of-n GFLOP/s of an n×n×n float32 matmul on {@code device}. */
    static double matmulGflops(Device device, int n, int reps) {
        try (NDManager m = dev.moefrontier.harness.runtime.Engines.manager(device)) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).toFloatArray(); // warm-up
            double best = Double.MAX_VALUE;
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.get(0).toFloatArray(); // synchronizes
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }

    /** Forward FLOPs per token: 2 × (multiply-adds of projections, router, k experts, shared expert, head, attention). */
    static double flopsPerToken(ModelConfig c, int seqLen) {
        double h = c.hiddenSize();
        var a = c.attention();
        double macs = 0;
        for (var l : c.layers()) {
            if (l.mixer() == ModelConfig.Mixer.ATTENTION) {
                double q = (double) a.heads() * a.headDim() * (a.outputGate() ? 2 : 1);
                double kv = (double) a.kvHeads() * a.headDim();
                macs += h * q + 2 * h * kv + (double) a.heads() * a.headDim() * h;
                macs += 2.0 * seqLen * a.heads() * a.headDim(); // scores and values over the full (masked) context
            } else {
                var s = c.linear();
                double vd = (double) s.valueHeads() * s.valueDim();
                macs += h * (s.convChannels() + vd + 2 * s.valueHeads()) + vd * h;
                macs += 2.0 * s.valueHeads() * s.keyDim() * s.valueDim() * 2; // state update and readout
            }
            if (l.mlp() == ModelConfig.Mlp.MOE) {
                var m = c.moe();
                macs += h * m.numExperts() + (double) m.topK() * 3 * h * m.intermediate();
                if (m.sharedIntermediate() > 0) {
                    macs += 3 * h * m.sharedIntermediate() + h;
                }
            } else {
                macs += 3 * h * c.moe().denseIntermediate();
            }
        }
        macs += h * c.vocabSize();
        return 2 * macs;
    }
}
