package dev.moefrontier.harness.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.CheckpointWriter;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Runtime behaviour every family must share: streaming equals resident, tied heads equal explicit copies. */
class FamilyRuntimeTest {
    @TempDir
    Path tmp;

    private static float[] logits(Path dir, ModelWeights.Residency r, int[] ids) {
        try (MoeTransformer m = MoeTransformer.builder().setPath(dir).optResidency(r).build();
                NDManager nd = NDManager.newBaseManager()) {
            return m.logits(ids, ForwardObserver.NONE, nd).toFloatArray();
        }
    }

    private static SyntheticCheckpoint small(String type) {
        return SyntheticCheckpoint.of(type).layers(4).fullAttentionInterval(2).hidden(32).heads(4, 2, 8)
                .experts(8, 2, 16).shared(16).vocab(64).seed(7);
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe", "qwen2_moe", "qwen3_moe", "mixtral", "qwen3_5_moe"})
    void streamedLayersGiveIdenticalLogits(String type) throws IOException {
        Path dir = tmp.resolve(type);
        small(type).write(dir);
        int[] ids = new Random(3).ints(20, 0, 64).toArray();
        assertArrayEquals(logits(dir, ModelWeights.Residency.RESIDENT, ids), logits(dir, ModelWeights.Residency.STREAM, ids), 0f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe", "qwen3_5_moe"})
    void tiedHeadUsesTheEmbedding(String type) throws IOException {
        Path tied = tmp.resolve(type + "-tied");
        small(type).tieEmbeddings(true).write(tied);
        try (Checkpoint c = Checkpoint.open(tied)) {
            assertFalse(c.has("lm_head.weight"), "tied checkpoints carry no lm_head");
        }
        // The same weights untied, with lm_head an explicit copy of the embedding.
        Path untied = tmp.resolve(type + "-untied");
        Files.createDirectories(untied);
        String cfg = Files.readString(tied.resolve("config.json")).replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
        Files.writeString(untied.resolve("config.json"), cfg);
        try (SafetensorsFile f = SafetensorsFile.open(tied.resolve("model.safetensors"))) {
            CheckpointWriter w = new CheckpointWriter();
            TensorInfo embed = null;
            for (TensorInfo t : f.tensors().values()) {
                w.add(t.name(), t.dtype(), t.shape(), out -> copy(f, t, out));
                if (t.name().endsWith("embed_tokens.weight")) {
                    embed = t;
                }
            }
            TensorInfo e = embed;
            w.add("lm_head.weight", e.dtype(), e.shape(), out -> copy(f, e, out));
            w.write(untied);
        }
        int[] ids = new Random(4).ints(12, 0, 64).toArray();
        assertArrayEquals(logits(untied, null, ids), logits(tied, null, ids), 0f);
    }

    private static void copy(SafetensorsFile f, TensorInfo t, java.nio.channels.FileChannel out) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) t.byteSize());
        f.readRaw(t, b);
        dev.moefrontier.harness.io.SafetensorsWriter.writeAll(out, b.flip());
    }
}
