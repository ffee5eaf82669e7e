package dev.moefrontier.harness.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every family against the golden forwards in fixtures/conformance (README there): logits, router logits, top-k
 * weights and MoE inputs within the absolute tolerance for float32 checkpoints (2e-4), top-k indices exact.
 */
class ConformanceTest {
    static final double TOLERANCE_F32 = 2e-4;

    @ParameterizedTest
    @ValueSource(strings = {"olmoe-a", "qwen2_moe-a", "qwen3_moe-a", "mixtral-a", "qwen3_5_moe-a"})
    void matchesReference(String name) {
        Path dir = Fixtures.conformance(name);
        List<int[]> inputs = InputsFile.read(dir.resolve("inputs.json"));
        Map<String, ForwardDump.Tensor> got;
        try (MoeTransformer model = MoeTransformer.open(dir)) {
            got = ForwardDump.run(model, inputs);
        }
        try (SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            assertEquals(new TreeSet<>(expected.tensors().keySet()), new TreeSet<>(got.keySet()), "tensor names");
            for (TensorInfo t : expected.tensors().values()) {
                ForwardDump.Tensor g = got.get(t.name());
                assertArrayEquals(t.shape(), g.shape(), t.name() + " shape");
                float[] want = expected.readFloats(t);
                if (t.name().startsWith("topk_idx")) {
                    assertArrayEquals(want, g.data(), 0f, t.name() + " must match exactly");
                } else {
                    double worst = maxAbsDiff(want, g.data());
                    assertTrue(worst <= TOLERANCE_F32, name + " " + t.name() + ": max |diff| " + worst + " > " + TOLERANCE_F32);
                }
            }
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, d);
        }
        return worst;
    }
}
