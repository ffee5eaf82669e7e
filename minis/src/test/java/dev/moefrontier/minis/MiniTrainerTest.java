package dev.moefrontier.minis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TensorLayout;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Training runs the runtime's own model definition under autograd: its forward equals the runtime's, its gradients
 * equal finite differences, it learns, and what it exports reloads with the same logits.
 */
class MiniTrainerTest {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void quiet() {
        Progress.quiet(true);
    }

    /** Tiny minis: OLMoE (every layer attention) and Qwen3.5 (Gated DeltaNet : attention 1:1, shared expert). */
    static MiniSpec tiny(String type) {
        return type.equals("olmoe")
                ? new MiniSpec("tiny-olmoe", "olmoe", 2, 32, 4, 2, 8, 8, 2, 16, 0, 0, 64, 24, 40, 4, 1e-2, 0.01, 5)
                : new MiniSpec("tiny-qwen35", "qwen3_5_moe", 2, 32, 4, 2, 8, 16, 4, 8, 16, 2, 64, 24, 40, 4, 1e-2, 0.01, 6);
    }

    static Path initial(MiniSpec spec) throws IOException {
        Path dir = tmp.resolve(spec.name() + "-init");
        if (!Files.exists(dir)) {
            spec.initial().write(dir);
        }
        return dir;
    }

    static List<int[]> windows(long seed, int n, int len, int vocab) {
        Random r = new Random(seed);
        List<int[]> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            w.add(r.ints(len, 0, vocab).toArray());
        }
        return w;
    }

    static float[] runtimeLogits(Path dir, List<int[]> seqs) {
        try (MoeTransformer m = MoeTransformer.open(dir); NDManager out = NDManager.newBaseManager()) {
            List<float[]> rows = new ArrayList<>();
            m.run(List.of(new TokenBatch(seqs)), ForwardObserver.NONE, (i, b, h) -> rows.add(m.logits(h).toFloatArray()));
            return rows.get(0);
        }
    }

    static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe", "qwen3_5_moe"})
    void theTrainingGraphComputesWhatTheRuntimeComputes(String type) throws IOException {
        MiniSpec spec = tiny(type);
        Path dir = initial(spec);
        List<int[]> seqs = windows(1, 3, spec.context(), spec.vocab());
        try (MiniTrainer t = new MiniTrainer(spec, dir, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            float[] train = t.logits(seqs, m).toFloatArray(); // padded experts, differentiable chunked DeltaNet
            double d = maxDiff(runtimeLogits(dir, seqs), train);
            assertTrue(d < 1e-4, type + ": max |logit difference| " + d);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe", "qwen3_5_moe"})
    void gradientsMatchFiniteDifferences(String type) throws IOException {
        // Every expert is selected (top-k = E), so the loss is smooth: a changed top-k choice would be a jump.
        MiniSpec t0 = tiny(type);
        MiniSpec spec = new MiniSpec(t0.name() + "-smooth", t0.modelType(), t0.layers(), t0.hidden(), t0.heads(), t0.kvHeads(),
                t0.headDim(), 4, 4, t0.intermediate(), t0.shared(), t0.fullAttentionInterval(), t0.vocab(), t0.context(), t0.steps(),
                t0.batch(), t0.lr(), t0.auxCoef(), t0.seed());
        Path dir = initial(spec);
        List<int[]> batch = windows(2, 2, spec.context() + 1, spec.vocab());
        try (MiniTrainer t = new MiniTrainer(spec, dir, Device.cpu())) {
            t.backward(batch);
            ModelConfig c = t.config();
            List<String> names = new ArrayList<>(List.of(c.family().decoder("embed_tokens.weight"), "lm_head.weight",
                    c.family().router(0), c.family().fusedGateUp(1), c.family().fusedDown(0), c.family().layer(1, "input_layernorm.weight")));
            if (type.equals("olmoe")) {
                names.add(c.family().layer(0, "self_attn.q_proj.weight"));
                names.add(c.family().layer(1, "self_attn.k_norm.weight"));
            } else {
                names.addAll(List.of(c.family().layer(0, "linear_attn.A_log"), c.family().layer(0, "linear_attn.conv1d.weight"),
                        c.family().layer(0, "linear_attn.in_proj_qkv.weight"), c.family().layer(0, "linear_attn.dt_bias"),
                        c.family().layer(1, "self_attn.q_proj.weight"), c.family().sharedExpertGate(1)));
            }
            for (String name : names) {
                NDArray p = t.parameters().get(name);
                NDArray g = p.getGradient();
                double norm = Math.sqrt(g.square().sum().getFloat());
                assertTrue(norm > 0, name + " receives a gradient");
                // The directional derivative along the gradient equals its norm; central differences in float32.
                NDArray dir1 = g.div(norm);
                double eps = 1e-3;
                p.addi(dir1.mul(eps));
                double up = t.loss(batch).loss();
                p.subi(dir1.mul(2 * eps));
                double down = t.loss(batch).loss();
                p.addi(dir1.mul(eps));
                double fd = (up - down) / (2 * eps);
                assertEquals(norm, fd, 0.03 * norm + 5e-4, type + " " + name + ": autograd " + norm + " vs finite differences " + fd);
                g.close();
                dir1.close();
            }
        }
    }

    @Test
    void itLearnsAndTheExportReloadsWithTheSameLogits() throws IOException {
        MiniSpec spec = tiny("qwen3_5_moe");
        Path dir = initial(spec);
        List<int[]> batch = windows(3, 4, spec.context() + 1, spec.vocab());
        List<int[]> seqs = windows(4, 2, spec.context(), spec.vocab());
        try (MiniTrainer t = new MiniTrainer(spec, dir, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            double first = t.loss(batch).nll();
            for (int s = 0; s < 40; s++) {
                t.step(batch); // memorize one batch
            }
            double last = t.loss(batch).nll();
            assertTrue(last < 0.5 * first, "memorizing a batch: nll " + first + " -> " + last);
            float[] trained = t.logits(seqs, m).toFloatArray();
            for (TensorLayout.ExpertStorage storage : TensorLayout.ExpertStorage.values()) {
                Path out = Files.createDirectories(tmp.resolve("export-" + storage));
                Files.copy(dir.resolve("config.json"), out.resolve("config.json"));
                t.export(out, DType.F32, storage);
                double d = maxDiff(runtimeLogits(out, seqs), trained);
                assertTrue(d < 1e-4, storage + ": exported logits differ by " + d);
            }
            Path f16 = Files.createDirectories(tmp.resolve("export-f16"));
            Files.copy(dir.resolve("config.json"), f16.resolve("config.json"));
            t.export(f16, DType.F16, TensorLayout.ExpertStorage.FUSED);
            double d = maxDiff(runtimeLogits(f16, seqs), trained);
            double scale = 0;
            for (float v : trained) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(d > 0 && d < 0.01 * scale, "float16 rounding moves logits a little: " + d + " of " + scale);
        }
    }

    @Test
    void trainMiniWritesACompleteCheckpointDirectory() throws IOException {
        MiniSpec spec = new MiniSpec("tiny-olmoe", "olmoe", 2, 32, 4, 2, 8, 8, 2, 16, 0, 0, 512, 32, 3, 2, 3e-3, 0.01, 9);
        Path out = tmp.resolve("trained");
        List<String> log = new ArrayList<>();
        MiniTraining.train(spec, out, Device.cpu(), "frontier train-mini test", log::add);
        assertEquals(List.of("config.json", "manifest.json", "model.safetensors", "tokenizer.json"),
                Files.list(out).map(p -> p.getFileName().toString()).sorted().toList());
        ModelConfig c = ModelConfig.load(out);
        assertEquals(32, c.maxPositions());
        JsonObject manifest = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
        assertEquals(Corpus.VERSION, manifest.get("corpus_version").getAsString());
        assertEquals(3, manifest.getAsJsonArray("losses").size());
        assertEquals("frontier train-mini test", manifest.get("command").getAsString());
        assertEquals(9, manifest.get("seed").getAsLong());
        try (MoeTransformer m = MoeTransformer.open(out)) {
            assertEquals(TensorLayout.ExpertStorage.PER_EXPERT, m.weights().storage(), "OLMoE keeps one tensor per expert, like the real one");
            assertTrue(m.checkpoint().tensors().values().stream().allMatch(t -> t.dtype() == DType.F16));
        }
        assertTrue(log.get(log.size() - 1).startsWith("trained"), String.join("\n", log));
        assertTrue(Files.list(tmp).noneMatch(p -> p.getFileName().toString().startsWith(".trained")), "no temporary directory left behind");
    }

    @Test
    void anUnknownMiniIsAOneLineError() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MiniSpec.get("gpt-mini"));
        assertEquals("unknown mini 'gpt-mini' (known: olmoe-mini, qwen35-mini-a, qwen35-mini-b)", e.getMessage());
    }
}
