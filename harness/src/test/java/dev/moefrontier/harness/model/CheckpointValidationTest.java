package dev.moefrontier.harness.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.io.CheckpointWriter;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.SafetensorsWriter;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.io.Widening;
import dev.moefrontier.harness.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model-level checks: the checkpoint must hold exactly what config.json requires; equivalent layouts load alike. */
class CheckpointValidationTest {
    static final Path OLMOE = Fixtures.conformance("olmoe-a");
    static final int[] IDS = {22, 23, 43, 127, 109, 69, 74};

    @TempDir
    Path tmp;

    /** Copies olmoe-a, keeping tensors that pass {@code keep} and mapping values through {@code map}. */
    private Path variant(String name, Predicate<String> keep, DType dtype, UnaryOperator<float[]> map, long shardBytes)
            throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.copy(OLMOE.resolve("config.json"), dir.resolve("config.json"));
        try (SafetensorsFile f = SafetensorsFile.open(OLMOE.resolve("model.safetensors"))) {
            CheckpointWriter w = new CheckpointWriter(shardBytes);
            for (TensorInfo t : f.tensors().values()) {
                if (keep.test(t.name())) {
                    float[] v = map.apply(f.readFloats(t));
                    w.add(t.name(), dtype, t.shape(), out -> SafetensorsWriter.writeAll(out, SafetensorsWriter.encode(v, dtype)));
                }
            }
            w.write(dir);
        }
        return dir;
    }

    private static float[] logits(Path dir) {
        try (MoeTransformer m = MoeTransformer.open(dir); NDManager nd = NDManager.newBaseManager()) {
            return m.logits(IDS, ForwardObserver.NONE, nd).toFloatArray();
        }
    }

    private static String rejection(Path dir) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> MoeTransformer.open(dir).close());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        String gone = "model.layers.1.mlp.experts.5.up_proj.weight";
        Path dir = variant("missing", n -> !n.equals(gone), DType.F32, v -> v, Long.MAX_VALUE);
        String msg = rejection(dir);
        assertTrue(msg.contains("'" + gone + "'") && msg.contains("missing"), msg);
    }

    @Test
    void shapeMismatchWithConfigIsNamed() throws IOException {
        Path dir = variant("shape", n -> true, DType.F32, v -> v, Long.MAX_VALUE);
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"intermediate_size\": 32", "\"intermediate_size\": 16");
        Files.writeString(dir.resolve("config.json"), cfg);
        String msg = rejection(dir);
        assertTrue(msg.contains("model.safetensors") && msg.contains("gate_proj.weight") && msg.contains("[32, 48]")
                && msg.contains("[16, 48]"), msg);
    }

    @Test
    void unexpectedTensorIsNamed() throws IOException {
        Path dir = variant("extra", n -> true, DType.F32, v -> v, Long.MAX_VALUE);
        // Config claims one layer fewer than the checkpoint holds.
        Files.writeString(dir.resolve("config.json"),
                Files.readString(dir.resolve("config.json")).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));
        String msg = rejection(dir);
        assertTrue(msg.contains("model.layers.1.") && msg.contains("unexpected tensor"), msg);
    }

    @Test
    void refusesPickleCheckpoints() throws IOException {
        Path dir = tmp.resolve("pickle");
        Files.createDirectories(dir);
        Files.copy(OLMOE.resolve("config.json"), dir.resolve("config.json"));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {0x50, 0x4b});
        String msg = rejection(dir);
        assertTrue(msg.contains("pytorch_model.bin") && msg.contains("not supported") && msg.contains("safe_serialization"), msg);
    }

    @Test
    void unknownModelTypeListsSupported() throws IOException {
        Path dir = variant("llama", n -> true, DType.F32, v -> v, Long.MAX_VALUE);
        Files.writeString(dir.resolve("config.json"),
                Files.readString(dir.resolve("config.json")).replace("\"model_type\": \"olmoe\"", "\"model_type\": \"llama\""));
        String msg = rejection(dir);
        assertTrue(msg.contains("config.json") && msg.contains("'llama'") && msg.contains("olmoe, qwen2_moe, qwen3_5_moe, qwen3_moe"), msg);
    }

    @Test
    void missingOrInvalidConfigKeysAreNamed() throws IOException {
        Path dir = variant("cfg", n -> true, DType.F32, v -> v, Long.MAX_VALUE);
        String cfg = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), cfg.replace("\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 9"));
        assertTrue(rejection(dir).contains("'num_experts_per_tok': 9 exceeds num_experts 8"));
        Files.writeString(dir.resolve("config.json"), cfg.replace("\"hidden_size\": 48,", ""));
        assertTrue(rejection(dir).contains("missing key 'hidden_size'"));
        Files.writeString(dir.resolve("config.json"), cfg.replace("\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": \"x\""));
        assertTrue(rejection(dir).contains("'rms_norm_eps'"));
    }

    @Test
    void shardedCheckpointMatchesSingleFile() throws IOException {
        Path sharded = variant("sharded", n -> true, DType.F32, v -> v, 100_000);
        assertTrue(Files.exists(sharded.resolve(Checkpoint.INDEX)));
        try (Checkpoint c = Checkpoint.open(sharded)) {
            assertTrue(c.files().size() >= 3, "several shards: " + c.files().size());
        }
        assertArrayEquals(logits(OLMOE), logits(sharded), 0f);
    }

    @Test
    void shardIndexInconsistenciesAreNamed() throws IOException {
        Path sharded = variant("badindex", n -> true, DType.F32, v -> v, 100_000);
        Path idx = sharded.resolve(Checkpoint.INDEX);
        String json = Files.readString(idx, StandardCharsets.UTF_8);
        Files.writeString(idx, json.replaceFirst("\"model.embed_tokens.weight\": \"model-00001", "\"model.embed_tokens.weight\": \"model-00002"));
        String msg = rejection(sharded);
        assertTrue(msg.contains("model.embed_tokens.weight") && msg.contains(Checkpoint.INDEX), msg);
    }

    @Test
    void bf16AndF16LoadExactlyAsTheirFloat32Values() throws IOException {
        UnaryOperator<float[]> toBf16 = v -> {
            float[] r = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                r[i] = Float.intBitsToFloat(Widening.floatToBf16Bits(v[i]) << 16);
            }
            return r;
        };
        UnaryOperator<float[]> toF16 = v -> {
            float[] r = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                r[i] = Float.intBitsToFloat(Widening.halfToFloatBits(Widening.floatToHalfBits(v[i])));
            }
            return r;
        };
        Path bf16 = variant("bf16", n -> true, DType.BF16, v -> v, Long.MAX_VALUE);
        Path bf16AsF32 = variant("bf16f32", n -> true, DType.F32, toBf16, Long.MAX_VALUE);
        Path f16 = variant("f16", n -> true, DType.F16, v -> v, Long.MAX_VALUE);
        Path f16AsF32 = variant("f16f32", n -> true, DType.F32, toF16, Long.MAX_VALUE);
        float[] ref = logits(OLMOE);
        float[] b = logits(bf16);
        assertArrayEquals(logits(bf16AsF32), b, 0f, "bf16 widening is exact");
        assertArrayEquals(logits(f16AsF32), logits(f16), 0f, "f16 widening is exact");
        assertEquals(ref.length, b.length);
        // Rounding to bf16 changes the model (here it even flips a routing choice), so only exactness is asserted.
        assertFalse(java.util.Arrays.equals(ref, b), "bf16 rounding changes something");
    }
}
