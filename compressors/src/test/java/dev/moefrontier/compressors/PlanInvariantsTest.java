package dev.moefrontier.compressors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.compress.Accounting;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.ExportedCheckpoint;
import dev.moefrontier.harness.compress.PlanExporter;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Invariants of plans and their application, and exported checkpoints reloading with identical outputs. */
class PlanInvariantsTest {
    static final int[] PROBE = new Random(11).ints(24, 0, 64).toArray();

    @TempDir
    static Path tmp;
    static Path olmoe;
    static Path qwen35;
    static Path calib;

    @BeforeAll
    static void models() throws IOException {
        olmoe = tmp.resolve("olmoe");
        SyntheticCheckpoint.of("olmoe").layers(2).hidden(32).heads(4, 2, 8).experts(16, 2, 24).vocab(64).seed(1).write(olmoe);
        qwen35 = tmp.resolve("qwen35");
        SyntheticCheckpoint.of("qwen3_5_moe").layers(2).fullAttentionInterval(2).hidden(32).heads(4, 2, 16)
                .experts(16, 4, 16).shared(24).vocab(64).seed(2).write(qwen35);
        calib = TestModels.calibration(tmp.resolve("calib.json"), 3, 6, 20, 64);
    }

    private static float[] logits(MoeTransformer m, ModelPatch patch) {
        return TestModels.logits(m, patch, PROBE);
    }

    private static double maxDiff(float[] a, float[] b) {
        return TestModels.maxDiff(a, b);
    }

    private static PruningPlan plan(CompressionContext ctx, String name, double ratio, Map<String, String> opts) {
        return TestModels.plan(ctx, name, ratio, opts);
    }

    /** Logits of {@code model} under each plan, with the MoE dispatch forced to {@code dispatch}. */
    private static List<float[]> underDispatch(String dispatch, Path model, List<String> compressors) {
        String old = System.getProperty("frontier.moe.dispatch");
        System.setProperty("frontier.moe.dispatch", dispatch);
        try (MoeTransformer m = MoeTransformer.open(model)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            List<float[]> out = new ArrayList<>();
            out.add(logits(m, ModelPatch.NONE));
            for (String c : compressors) {
                try (AppliedPlan ap = new AppliedPlan(m, plan(ctx, c, 0.5, Map.of()))) {
                    out.add(logits(m, ap));
                }
            }
            return out;
        } finally {
            if (old == null) {
                System.clearProperty("frontier.moe.dispatch");
            } else {
                System.setProperty("frontier.moe.dispatch", old);
            }
        }
    }

    @Test
    void groupedAndPaddedDispatchAgreeWithAndWithoutReplacedExperts() {
        // dense; drop; redirect with merged experts; Wanda-masked stacks; masks after dropping
        List<String> comps = List.of("frequency", "hc-smoe", "wanda", "frequency+wanda");
        for (Path model : List.of(olmoe, qwen35)) {
            List<float[]> grouped = underDispatch("grouped", model, comps);
            List<float[]> padded = underDispatch("padded", model, comps);
            for (int i = 0; i < grouped.size(); i++) {
                String what = model.getFileName() + " " + (i == 0 ? "dense" : comps.get(i - 1));
                assertTrue(maxDiff(grouped.get(i), padded.get(i)) < 1e-4, what + ": " + maxDiff(grouped.get(i), padded.get(i)));
            }
            assertTrue(maxDiff(grouped.get(0), grouped.get(3)) > 1e-3, "Wanda changes the outputs");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"frequency", "soft-frequency", "ean", "man", "msan", "reap", "aimer", "random", "m-smoe", "hc-smoe",
        "hodgecover", "hodgecover-no-triangle", "hodgecover-triplet-penalty", "hodgecover-triplet-hypergraph", "greedy-barrier",
        "ream", "stun"})
    void expertCompressorsKeepThePlannedCount(String name) {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            for (double r : new double[] {0.25, 0.33, 0.5, 0.66, 0.75}) {
                PruningPlan p = plan(ctx, name, r, Map.of());
                int keep = 16 - (int) Math.rint(r * 16);
                for (LayerPlan lp : p.layers()) {
                    assertEquals(keep, lp.kept().length, name + " at " + r);
                    for (int e : lp.pruned()) {
                        assertTrue(lp.isKept(lp.redirect()[e]), "redirect target kept");
                    }
                }
                Accounting a = Budget.account(m.config(), p);
                assertEquals((double) (16 - keep) / 16, a.expertRatio(), 1e-12);
                try (AppliedPlan ap = new AppliedPlan(m, p)) {
                    float[] out = logits(m, ap);
                    for (float f : out) {
                        assertTrue(Float.isFinite(f), name + " logits finite");
                    }
                }
            }
        }
    }

    @Test
    void budgetsFollowMethods() {
        assertEquals(21, Budget.pruneCount(0.33, 64, 8)); // keep 43
        assertEquals(42, Budget.pruneCount(0.66, 64, 8)); // keep 22
        assertEquals(84, Budget.pruneCount(0.33, 256, 8)); // keep 172
        assertEquals(169, Budget.pruneCount(0.66, 256, 8)); // keep 87
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> Budget.pruneCount(0.95, 16, 2));
        assertTrue(few.getMessage().contains("fewer than top_k = 2"), few.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Budget.pruneCount(0, 16, 2));
        assertThrows(IllegalArgumentException.class, () -> Budget.pruneCount(1, 16, 2));
        assertThrows(IllegalArgumentException.class, () -> Budget.pruneCount(Double.NaN, 16, 2));
    }

    @Test
    void badOptionsAreRejectedWithTheirNames() {
        Compressor reap = TestModels.CATALOG.get("reap");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Options.parse("reap", reap.options(), Map.of("gamma", "1")));
        assertEquals("unknown option 'gamma' for reap (options: b, alpha, beta)", unknown.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> Options.parse("reap", reap.options(), Map.of("alpha", "3")));
        assertTrue(range.getMessage().contains("'alpha' must be in [0, 2]"), range.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> Options.parse("reap", reap.options(), Map.of("b", "x")));
        assertTrue(type.getMessage().contains("must be an integer"), type.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> TestModels.CATALOG.get("nope"));
        assertTrue(name.getMessage().contains("unknown compressor 'nope'") && name.getMessage().contains("X+wanda"), name.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TestModels.CATALOG.get("nope+wanda"));
    }

    @Test
    void droppingNothingAndRedirectingToSelfAreIdentities() {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            float[] dense = logits(m, ModelPatch.NONE);
            int[] all = new int[16];
            int[] self = new int[16];
            for (int i = 0; i < 16; i++) {
                all[i] = i;
                self[i] = i;
            }
            List<LayerPlan> keepAll = new ArrayList<>();
            for (int l : m.config().moeLayers()) {
                keepAll.add(LayerPlan.of(l, 16, all, self, List.of()));
            }
            for (PruningPlan.Mode mode : PruningPlan.Mode.values()) {
                PruningPlan p = new PruningPlan("identity", Map.of(), 0.5, mode, keepAll, null, Map.of());
                try (AppliedPlan ap = new AppliedPlan(m, p)) {
                    assertArrayEquals(dense, logits(m, ap), 0f, mode + " of nothing is the identity");
                }
            }
        }
    }

    @Test
    void redirectMapsIndicesAndSumsDuplicateWeights() {
        // methods.md §2: after top-k over all E experts every index passes through pi and duplicate weights are summed.
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            int[] target = new int[16];
            for (int e = 0; e < 16; e++) {
                target[e] = e < 8 ? 3 : 12; // many-to-one, so duplicates are frequent
            }
            List<LayerPlan> ls = new ArrayList<>();
            for (int l : m.config().moeLayers()) {
                ls.add(LayerPlan.of(l, 16, new int[] {3, 12}, target, List.of()));
            }
            long[][] dense = new long[1][];
            float[][] denseW = new float[1][];
            long[][] red = new long[1][];
            float[][] redW = new float[1][];
            ForwardObserver first = new ForwardObserver() {
                @Override
                public boolean observesMoe(int layer) {
                    return layer == 0; // layer 0 sees identical inputs in both runs
                }

                @Override
                public void onMoe(dev.moefrontier.harness.model.MoeLayerEvent e) {
                    if (dense[0] == null) {
                        dense[0] = e.topkIndexArray();
                        denseW[0] = e.topkWeightArray();
                    } else {
                        red[0] = e.topkIndexArray();
                        redW[0] = e.topkWeightArray();
                    }
                }
            };
            try (NDManager nd = NDManager.newBaseManager();
                    AppliedPlan ap = new AppliedPlan(m, new PruningPlan("r", Map.of(), 0.5, PruningPlan.Mode.REDIRECT, ls, null, Map.of()))) {
                m.logits(PROBE, first, nd);
                m.logits(PROBE, ap, first, nd);
            }
            int k = 2;
            int duplicates = 0;
            for (int row = 0; row < PROBE.length; row++) {
                double[] want = new double[16];
                double[] got = new double[16];
                for (int s = 0; s < k; s++) {
                    want[target[(int) dense[0][row * k + s]]] += denseW[0][row * k + s];
                    assertEquals(target[(int) dense[0][row * k + s]], red[0][row * k + s], "index passes through pi");
                    got[(int) red[0][row * k + s]] += redW[0][row * k + s];
                }
                if (red[0][row * k] == red[0][row * k + 1]) {
                    duplicates++;
                    assertEquals(0f, redW[0][row * k + 1], "the repeated slot carries no weight");
                }
                for (int e = 0; e < 16; e++) {
                    assertEquals(want[e], got[e], 1e-6, "row " + row + " expert " + e + ": summed gate weight");
                }
            }
            assertTrue(duplicates > 0, "the probe exercises duplicate slots");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe:reap", "olmoe:m-smoe", "olmoe:reap+wanda", "olmoe:hc-smoe+wanda", "olmoe:wanda",
        "olmoe:hodgecover", "olmoe:hodgecover+wanda",
        "qwen35:frequency", "qwen35:hc-smoe", "qwen35:ean+wanda", "qwen35bf16:m-smoe+wanda",
        "olmoe:ream", "olmoe:stun+wanda", "qwen35bf16:ream", "qwen35:stun"})
    void exportReloadsWithTheSameLogits(String spec) throws IOException {
        String[] p = spec.split(":");
        Path src = switch (p[0]) {
            case "olmoe" -> olmoe;
            case "qwen35" -> qwen35;
            default -> {
                Path d = tmp.resolve("qwen35bf16");
                if (!Files.exists(d)) {
                    SyntheticCheckpoint.of("qwen3_5_moe").layers(2).fullAttentionInterval(2).hidden(32).heads(4, 2, 16)
                            .experts(16, 4, 16).shared(24).vocab(64).seed(5).dtype(DType.BF16).write(d);
                }
                yield d;
            }
        };
        Path out = tmp.resolve("export-" + spec.replace(':', '-').replace('+', '_'));
        float[] inMemory;
        PruningPlan plan;
        try (MoeTransformer m = MoeTransformer.open(src)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            plan = plan(ctx, p[1], 0.5, Map.of());
            try (AppliedPlan ap = new AppliedPlan(m, plan)) {
                inMemory = logits(m, ap);
                PlanExporter.export(m, ap, out, Map.of("test", spec));
            }
        }
        assertTrue(Files.exists(out.resolve(ExportedCheckpoint.PLAN_FILE)));
        try (MoeTransformer reloaded = MoeTransformer.open(out)) {
            assertEquals(plan.layers().get(0).kept().length, reloaded.config().moe().numExperts(), "config updated");
            float[] back = logits(reloaded, ExportedCheckpoint.patchFor(reloaded));
            assertTrue(maxDiff(inMemory, back) < 1e-5, spec + ": export differs by " + maxDiff(inMemory, back));
            if (plan.mode() == PruningPlan.Mode.REDIRECT) {
                // Without the sidecar router, Hugging Face loaders see the drop form: different outputs.
                assertFalse(java.util.Arrays.equals(back, logits(reloaded, ModelPatch.NONE)), spec + ": redirect matters");
            }
        }
    }

    @Test
    void hybridMeetsTheTotalRatio() {
        try (MoeTransformer m = MoeTransformer.open(qwen35)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            var c = m.config();
            long h = c.hiddenSize();
            long inter = c.moe().intermediate();
            long si = c.moe().sharedIntermediate();
            int layers = c.moeLayers().size();
            for (double total : new double[] {0.25, 0.5, 0.66}) {
                PruningPlan p = plan(ctx, "reap+wanda", total, Map.of());
                double r2 = p.figures().number("r2").orElseThrow();
                int pruned = p.layers().get(0).pruned().length;
                int kept = 16 - pruned;
                // Independent count: pruned experts, then int(in * r2) weights per row of every surviving matrix.
                long removed = layers * (pruned * 3 * h * inter
                        + kept * (2 * inter * (long) (h * r2) + h * (long) (inter * r2))
                        + 2 * si * (long) (h * r2) + h * (long) (si * r2));
                Accounting a = Budget.account(c, p);
                assertEquals(removed, a.removedMoeParams(), "accounting at total " + total);
                // Wanda's per-row int(in * r2) can only fall short of the target, by less than one weight per row.
                double bound = 1.0 / Math.min(h, Math.min(inter, si));
                assertTrue(a.compression() <= total + 1e-12 && total - a.compression() < bound,
                        "total " + total + " achieved " + a.compression() + " " + p.figures());
            }
        }
    }
}
