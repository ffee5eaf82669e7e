package dev.moefrontier.harness.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.PlanExporter;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.SafetensorsWriter;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.runtime.Engines;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-layer Qwen3.5-35B-A3B-shaped checkpoint (hidden 2048, 256 experts of width 512, BF16): its fused gate/up tensor
 * is 2.1 GB once widened, past what one Java buffer holds. The streamed forward equals that of the same bytes stored
 * one tensor per expert (all small), and a drop plan exported from it keeps every kept expert's bytes and reloads with
 * the in-memory plan's logits.
 */
@org.junit.jupiter.api.Tag("slow") // child JVMs, GB-sized tensors or whole sweeps: excluded by -Pfast
class LargeFusedLayerTest {
    @TempDir
    static Path tmp;

    static Path fused;
    static ModelConfig cfg;
    static final int[] IDS = {5, 17, 300, 999, 42, 7};

    @BeforeAll
    static void synthesize() throws IOException {
        fused = tmp.resolve("fused");
        SyntheticCheckpoint.of("qwen3_5_moe").layers(1).fullAttentionInterval(1).hidden(2048).heads(16, 2, 256).experts(256, 8, 512)
                .shared(512).vocab(1024).dtype(DType.BF16).seed(3).write(fused);
        cfg = ModelConfig.load(fused);
    }

    private static float[] logits(Path dir, ModelPatch patch) {
        try (MoeTransformer m = MoeTransformer.builder().setPath(dir).optResidency(ModelWeights.Residency.STREAM).build();
                NDManager nd = Engines.manager(Device.cpu())) {
            return HostArrays.floats(m.logits(IDS, patch, ForwardObserver.NONE, nd));
        }
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double max = 0;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        assertTrue(worst <= 1e-5 * max, what + ": max |diff| " + worst + " against max |logit| " + max);
    }

    @Test
    void theFusedLayerPastTwoGigabytesLoadsAsTheSameBytesStoredPerExpert() throws IOException {
        try (Checkpoint c = Checkpoint.open(fused)) {
            TensorInfo gu = c.info(cfg.family().fusedGateUp(0));
            assertTrue(gu.numel() * 4 > Integer.MAX_VALUE, "the fused gate/up tensor is past 2 GiB in float32: " + gu.numel() * 4);
        }
        Path perExpert = tmp.resolve("per-expert");
        Files.createDirectories(perExpert);
        Files.copy(fused.resolve("config.json"), perExpert.resolve("config.json"));
        long inter = cfg.moe().intermediate();
        long h = cfg.hiddenSize();
        try (Checkpoint c = Checkpoint.open(fused)) {
            SafetensorsWriter w = new SafetensorsWriter();
            Family f = cfg.family();
            for (Map.Entry<String, long[]> e : TensorLayout.expected(cfg, TensorLayout.ExpertStorage.PER_EXPERT).entrySet()) {
                String name = e.getKey();
                int[] ex = expertOf(f, name);
                if (ex == null) {
                    TensorInfo t = c.info(name);
                    w.addCopy(name, c.fileOf(t), t);
                    continue;
                }
                // gate = rows [0, I) and up = rows [I, 2I) of expert e's [2I, H] block; down = expert e's [H, I] block
                TensorInfo t = c.info(ex[1] == 2 ? f.fusedDown(0) : f.fusedGateUp(0));
                long block = (ex[1] == 2 ? h * inter : 2 * inter * h) * 2;
                long offset = ex[0] * block + (ex[1] == 1 ? inter * h * 2 : 0);
                long len = inter * h * 2;
                w.add(name, DType.BF16, e.getValue(), out -> {
                    ByteBuffer b = ByteBuffer.allocate((int) len);
                    c.fileOf(t).readRawRange(t, offset, b);
                    SafetensorsWriter.writeAll(out, b.flip());
                });
            }
            w.write(perExpert.resolve("model.safetensors"));
        }
        assertClose(logits(perExpert, ModelPatch.NONE), logits(fused, ModelPatch.NONE), "fused vs per-expert logits");
    }

    private static int[] expertOf(Family f, String name) {
        for (int e = 0; e < cfg.moe().numExperts(); e++) {
            for (int which = 0; which < 3; which++) {
                if (name.equals(f.expert(0, e, which))) {
                    return new int[] {e, which};
                }
            }
        }
        return null;
    }

    @Test
    void aDropPlanOfThatLayerExportsItsKeptExpertsByteForByteAndReloads() throws IOException {
        int e = cfg.moe().numExperts();
        int[] kept = java.util.stream.IntStream.range(0, e).filter(x -> x % 4 != 1).toArray(); // 192 of 256
        PruningPlan plan = new PruningPlan("test-drop", Map.of(), 0.25, PruningPlan.Mode.DROP, List.of(LayerPlan.keep(0, e, kept)), null,
                Map.of());
        Path out = tmp.resolve("export");
        float[] inMemory;
        try (MoeTransformer m = MoeTransformer.builder().setPath(fused).optResidency(ModelWeights.Residency.STREAM).build();
                AppliedPlan applied = new AppliedPlan(m, plan); NDManager nd = Engines.manager(Device.cpu())) {
            inMemory = HostArrays.floats(m.logits(IDS, applied, ForwardObserver.NONE, nd));
            PlanExporter.export(m, applied, out, Map.of());
        }
        try (Checkpoint src = Checkpoint.open(fused); Checkpoint dst = Checkpoint.open(out)) {
            for (String name : List.of(cfg.family().fusedGateUp(0), cfg.family().fusedDown(0))) {
                TensorInfo s = src.info(name);
                TensorInfo d = dst.info(name);
                assertEquals(kept.length, d.shape()[0], name);
                long block = s.byteSize() / e;
                ByteBuffer a = ByteBuffer.allocate((int) block);
                ByteBuffer b = ByteBuffer.allocate((int) block);
                for (int j = 0; j < kept.length; j++) {
                    a.clear();
                    b.clear();
                    src.fileOf(s).readRawRange(s, kept[j] * block, a);
                    dst.fileOf(d).readRawRange(d, j * block, b);
                    assertArrayEquals(a.array(), b.array(), name + ": new expert " + j + " is old expert " + kept[j]);
                }
            }
        }
        assertClose(inMemory, logits(out, ModelPatch.NONE), "exported vs in-memory plan");
    }
}
