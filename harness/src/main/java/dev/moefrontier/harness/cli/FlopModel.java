package dev.moefrontier.harness.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.runtime.Engines;

/** The roofline model of {@code bench forward}: forward FLOPs per token and the measured matmul throughput. */
public final class FlopModel {
    private FlopModel() {}

    /** Best-of-n GFLOP/s of an n×n×n float32 matmul on {@code device}. */
    public static double matmulGflops(Device device, int n, int reps) {
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

    /** Forward FLOPs per token ({@link dev.moefrontier.harness.model.Flops#forwardPerToken}). */
    static double flopsPerToken(ModelConfig c, int seqLen) {
        return dev.moefrontier.harness.model.Flops.forwardPerToken(c, seqLen);
    }
}
