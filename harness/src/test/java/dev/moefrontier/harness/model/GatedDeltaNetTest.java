package dev.moefrontier.harness.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The chunked Gated DeltaNet must agree with the plain recurrence (the reference). */
class GatedDeltaNetTest {
    @TempDir
    Path tmp;

    /** Random q, k, v, beta, g with unit-norm keys; {@code correlated} makes keys nearly identical. */
    private static NDArray[] inputs(NDManager m, int t, long seed, float decayScale, boolean correlated) {
        Random r = new Random(seed);
        int b = 2;
        int h = 3;
        int dk = 8;
        int dv = 5;
        float[] q = new float[b * h * t * dk];
        float[] k = new float[b * h * t * dk];
        float[] v = new float[b * h * t * dv];
        float[] beta = new float[b * h * t];
        float[] g = new float[b * h * t];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian() / (float) Math.sqrt(dk);
        }
        for (int row = 0; row < b * h * t; row++) {
            double norm = 0;
            for (int j = 0; j < dk; j++) {
                float x = correlated ? 1f + 0.05f * (float) r.nextGaussian() : (float) r.nextGaussian();
                k[row * dk + j] = x;
                norm += x * x;
            }
            for (int j = 0; j < dk; j++) {
                k[row * dk + j] /= (float) Math.sqrt(norm + 1e-6);
            }
            beta[row] = r.nextFloat();
            g[row] = -decayScale * r.nextFloat();
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return new NDArray[] {
            m.create(q, new Shape(b, h, t, dk)), m.create(k, new Shape(b, h, t, dk)), m.create(v, new Shape(b, h, t, dv)),
            m.create(beta, new Shape(b, h, t)), m.create(g, new Shape(b, h, t))
        };
    }

    @ParameterizedTest(name = "T={0} chunk={1} decay={2} correlated={3}")
    @CsvSource({
        "1, 64, 1.0, false",
        "7, 64, 1.0, false",
        "64, 64, 1.0, false",
        "150, 64, 1.0, false", // several chunks plus padding
        "150, 16, 0.05, true", // slow decay, nearly identical keys: the hard case for the triangular solve
        "97, 32, 8.0, false", // fast decay: e^{γ} underflows within a chunk
    })
    void chunkedMatchesRecurrence(int t, int chunk, float decay, boolean correlated) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray[] in = inputs(m, t, 42 + t, decay, correlated);
            float[] ref = GatedDeltaNet.recurrent(in[0], in[1], in[2], in[3], in[4]).toFloatArray();
            float[] got = GatedDeltaNet.chunked(in[0], in[1], in[2], in[3], in[4], chunk).toFloatArray();
            double worst = 0;
            double scale = 0;
            for (int i = 0; i < ref.length; i++) {
                worst = Math.max(worst, Math.abs(ref[i] - got[i]));
                scale = Math.max(scale, Math.abs(ref[i]));
                assertTrue(Float.isFinite(got[i]), "finite output");
            }
            assertTrue(worst <= 1e-4 * Math.max(1, scale), "max |chunked - recurrent| = " + worst + " (scale " + scale + ")");
        }
    }

    @ParameterizedTest(name = "T={0} chunk={1}")
    @CsvSource({"150, 16", "64, 64"})
    void theDifferentiableSolveEqualsTheInPlaceOne(int t, int chunk) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray[] in = inputs(m, t, 7 + t, 0.05f, true);
            float[] inPlace = GatedDeltaNet.chunked(in[0], in[1], in[2], in[3], in[4], chunk, false).toFloatArray();
            float[] differentiable = GatedDeltaNet.chunked(in[0], in[1], in[2], in[3], in[4], chunk, true).toFloatArray();
            for (int i = 0; i < inPlace.length; i++) {
                assertEquals(inPlace[i], differentiable[i], 1e-5 * Math.max(1, Math.abs(inPlace[i])), "element " + i);
            }
        }
    }

    @Test
    void wholeModelAgreesAcrossModesAndChunkSizes() throws IOException {
        Path dir = tmp.resolve("q35");
        SyntheticCheckpoint.of("qwen3_5_moe").layers(4).fullAttentionInterval(4).hidden(48).heads(4, 2, 16)
                .experts(16, 4, 24).shared(32).vocab(200).seed(3).write(dir);
        int[] ids = new Random(5).ints(130, 0, 200).toArray();
        float[] ref;
        try (MoeTransformer rec = MoeTransformer.builder().setPath(dir).optRecurrentDeltaNet(true).build();
                NDManager m = NDManager.newBaseManager()) {
            ref = rec.logits(ids, ForwardObserver.NONE, m).toFloatArray();
        }
        for (int chunk : new int[] {64, 17}) {
            try (MoeTransformer ch = MoeTransformer.builder().setPath(dir).optDeltaNetChunk(chunk).build();
                    NDManager m = NDManager.newBaseManager()) {
                float[] got = ch.logits(ids, ForwardObserver.NONE, m).toFloatArray();
                assertTrue(ConformanceTest.maxAbsDiff(ref, got) < 2e-4, "chunk " + chunk + ": " + ConformanceTest.maxAbsDiff(ref, got));
            }
        }
    }
}
