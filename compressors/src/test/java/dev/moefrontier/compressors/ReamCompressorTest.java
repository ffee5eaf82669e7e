package dev.moefrontier.compressors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.compressors.ream.ReamGrouping;
import dev.moefrontier.compressors.ream.ReamSignals;
import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.ExpertMerge;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.HostArrays;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeOverride;
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

/** REAM on a small synthetic OLMoE (methods.md §7): statistics, groups, aligned merges and their application. */
class ReamCompressorTest {
    static final int[] PROBE = new Random(12).ints(24, 0, 64).toArray();

    @TempDir
    static Path tmp;
    static Path olmoe;
    static Path calib;

    @BeforeAll
    static void models() throws IOException {
        olmoe = tmp.resolve("olmoe");
        SyntheticCheckpoint.of("olmoe").layers(2).hidden(32).heads(4, 2, 8).experts(16, 2, 24).vocab(64).seed(21).write(olmoe);
        calib = TestModels.calibration(tmp.resolve("calib.json"), 5, 6, 20, 64);
    }

    @Test
    void planKeepsTheMostSalientAsCentroidsAndMergesOneGroupWithAlignedNeurons() {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            PruningPlan p = TestModels.plan(ctx, "ream", 0.5, Map.of("sequential", "false"));
            assertEquals(PruningPlan.Mode.DROP, p.mode());
            ReamSignals sig = new ReamSignals(true, 0, 512, false, 42, false);
            CalibrationStats st = ctx.calibrator().stats(m, ctx.data(), List.of(RoutingStatistics.ROUTING, sig));
            for (LayerPlan lp : p.layers()) {
                double[] sal = ReamGrouping.saliency(sig.of(st, lp.layer()).saliency(), lp.layer());
                int[] centroids = ReamGrouping.centroids(sal, 8);
                int[] sorted = centroids.clone();
                java.util.Arrays.sort(sorted);
                assertArrayEquals(sorted, lp.kept(), "kept = the 8 most salient");
                // keep 8 of 16 with C = 16: the most salient centroid absorbs all 8 others
                assertEquals(1, lp.merges().size());
                ExpertMerge mg = lp.merges().get(0);
                assertEquals(centroids[0], mg.into());
                assertEquals(9, mg.members().length);
                double total = 0;
                for (int x : mg.members()) {
                    total += sal[x];
                }
                for (int i = 0; i < mg.members().length; i++) {
                    assertEquals(sal[mg.members()[i]] / total, mg.weights()[i], 1e-12, "saliency-weighted");
                    int[] perm = mg.alignment()[i];
                    if (mg.members()[i] == mg.into()) {
                        assertFalse(mg.permutes(i), "the centroid is not permuted");
                    }
                    assertEquals(24, perm.length);
                }
                assertTrue(java.util.stream.IntStream.range(0, 9).anyMatch(mg::permutes), "some member's neurons are reordered");
            }
        }
    }

    @Test
    void alignmentsSurviveThePlanFileAndEnterTheFingerprint() throws IOException {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            PruningPlan p = TestModels.plan(ctx, "ream", 0.5, Map.of("sequential", "false"));
            Path f = tmp.resolve("ream-plan.json");
            Files.writeString(f, dev.moefrontier.harness.util.Json.pretty(p.document(m.config())));
            PruningPlan back = PruningPlan.read(f);
            for (int i = 0; i < p.layers().size(); i++) {
                ExpertMerge a = p.layers().get(i).merges().get(0);
                ExpertMerge b = back.layers().get(i).merges().get(0);
                for (int j = 0; j < a.members().length; j++) {
                    assertArrayEquals(a.alignment()[j], b.alignment()[j]);
                }
            }
            var avg = TestModels.plan(ctx, "ream", 0.5, Map.of("sequential", "false", "merging", "avg"));
            assertFalse(fingerprint(p).equals(fingerprint(avg)), "same groups, different alignment: different plans");
        }
    }

    private static String fingerprint(PruningPlan p) {
        var rec = dev.moefrontier.harness.sweep.PlanRecord.of(new dev.moefrontier.harness.sweep.Cell("b", "ream", Map.of(), 0.5), p);
        return rec.fingerprint();
    }

    @Test
    void mergedWeightsEqualAHandComputation() {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            PruningPlan p = TestModels.plan(ctx, "ream", 0.5, Map.of());
            LayerPlan lp = p.layers().get(1); // a layer whose statistics came from the merged layer 0 (sequential)
            ExpertMerge mg = lp.merges().get(0);
            assertTrue(java.util.stream.IntStream.range(0, mg.members().length).anyMatch(mg::permutes), "the merge aligns neurons");
            LayerWeights w = m.weights().acquire(lp.layer());
            try (AppliedPlan ap = new AppliedPlan(m, p)) {
                MoeOverride o = ap.moe(lp.layer(), w.moe());
                float[] gu = HostArrays.floats(o.gateUpT()[mg.into()]); // [H, 2I]
                float[] dn = HostArrays.floats(o.downT()[mg.into()]); // [I, H]
                int h = 32;
                int inter = 24;
                double[] handGu = new double[h * 2 * inter];
                double[] handDn = new double[inter * h];
                for (int i = 0; i < mg.members().length; i++) {
                    float[] g = HostArrays.floats(w.moe().gateUpT().get(mg.members()[i]));
                    float[] d = HostArrays.floats(w.moe().downT().get(mg.members()[i]));
                    int[] perm = mg.alignment()[i];
                    for (int n = 0; n < inter; n++) {
                        for (int t = 0; t < h; t++) {
                            handGu[t * 2 * inter + n] += mg.weights()[i] * g[t * 2 * inter + perm[n]]; // gate row perm[n]
                            handGu[t * 2 * inter + inter + n] += mg.weights()[i] * g[t * 2 * inter + inter + perm[n]]; // up
                            handDn[n * h + t] += mg.weights()[i] * d[perm[n] * h + t]; // down column perm[n]
                        }
                    }
                }
                for (int i = 0; i < handGu.length; i++) {
                    assertEquals(handGu[i], gu[i], 1e-5, "gate/up " + i);
                }
                for (int i = 0; i < handDn.length; i++) {
                    assertEquals(handDn[i], dn[i], 1e-5, "down " + i);
                }
            } finally {
                m.weights().release(w);
            }
        }
    }

    @Test
    void aPermutationLeavesAnExpertsFunctionUnchanged() {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            int e = 16;
            int inter = 24;
            int[] perm = new int[inter];
            for (int n = 0; n < inter; n++) {
                perm[n] = (n * 7 + 3) % inter; // a fixed permutation (7 is coprime to 24)
            }
            int[] id = new int[inter];
            for (int n = 0; n < inter; n++) {
                id[n] = n;
            }
            float[] plain = logitsUnder(m, new ExpertMerge(0, new int[] {0, 1}, new double[] {0, 1}, null));
            float[] permuted = logitsUnder(m, new ExpertMerge(0, new int[] {0, 1}, new double[] {0, 1}, new int[][] {id, perm}));
            double same = TestModels.maxDiff(plain, permuted);
            assertTrue(same < 1e-5, "expert 1 permuted computes the same: " + same);
            float[] avg = logitsUnder(m, new ExpertMerge(0, new int[] {0, 1}, new double[] {0.5, 0.5}, null));
            float[] avgAligned = logitsUnder(m, new ExpertMerge(0, new int[] {0, 1}, new double[] {0.5, 0.5}, new int[][] {id, perm}));
            assertTrue(TestModels.maxDiff(avg, avgAligned) > 1e-4, "in an average the alignment matters");
            assertThrows(IllegalArgumentException.class, () -> new ExpertMerge(0, new int[] {0, 1}, new double[] {0.5, 0.5},
                    new int[][] {id, new int[inter]}), "not a permutation");
        }
    }

    /** Logits with expert 1 of the first MoE layer dropped and expert 0 replaced by the merge {@code mg}. */
    private static float[] logitsUnder(MoeTransformer m, ExpertMerge mg) {
        List<LayerPlan> layers = new ArrayList<>();
        int[] kept = java.util.stream.IntStream.range(0, 16).filter(i -> i != 1).toArray();
        int[] target = new int[16];
        layers.add(LayerPlan.of(m.config().moeLayers().get(0), 16, kept, target, List.of(mg)));
        try (AppliedPlan ap = new AppliedPlan(m, new PruningPlan("test", Map.of(), 0.0625, PruningPlan.Mode.DROP, layers, null, Map.of()))) {
            return TestModels.logits(m, ap, PROBE);
        }
    }

    @Test
    void ungatedSaliencyIsReapsScoreAndUngatedSignatureIsTheMeanOutput() {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            ReamSignals sig = new ReamSignals(false, 0, 16, false, 42, false);
            CalibrationStats st = ctx.calibrator().stats(m, ctx.data(), List.of(RoutingStatistics.ROUTING, sig));
            Map<Integer, double[]> reap = ((dev.moefrontier.harness.spi.ExpertScorer) TestModels.CATALOG.get("reap")).scores(ctx,
                    Options.parse("reap", TestModels.CATALOG.get("reap").options(), Map.of()));
            for (int l : m.config().moeLayers()) {
                ReamSignals.Layer v = sig.of(st, l);
                assertArrayEquals(reap.get(l), v.saliency(), 1e-5, "OLMoE does not renormalize: p = g, and REAP = mean g ||f||");
                double[][] mean = MeanOutputs.of(ctx.stats(), l);
                for (int x = 0; x < 16; x++) {
                    assertArrayEquals(mean[x], v.signature()[x], 1e-5, "signature of expert " + x);
                }
                double[][] gram = RouterGram.of(ctx.stats(), l);
                for (int x = 0; x < 16; x++) {
                    assertArrayEquals(gram[x], v.logitGram()[x], 1e-3);
                }
            }
        }
    }

    @Test
    void statisticsAndTheirSampleDoNotDependOnBatching() {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(calib), olmoe, 64, 1 << 20);
            for (ReamSignals sig : List.of(new ReamSignals(true, 2, 40, false, 42, false), new ReamSignals(true, 0, 40, true, 7, false))) {
                CalibrationStats a = new Calibrator(null, 4096, s -> { }).collect(m, data, List.of(RoutingStatistics.ROUTING, sig),
                        ModelPatch.NONE);
                CalibrationStats b = new Calibrator(null, 20, s -> { }).collect(m, data, List.of(RoutingStatistics.ROUTING, sig),
                        ModelPatch.NONE);
                for (int l : m.config().moeLayers()) {
                    ReamSignals.Layer x = sig.of(a, l);
                    ReamSignals.Layer y = sig.of(b, l);
                    assertArrayEquals(x.saliency(), y.saliency(), 1e-6);
                    assertEquals(40, x.activations()[0].length, "40 samples per expert");
                    for (int e = 0; e < 16; e++) {
                        assertArrayEquals(x.signature()[e], y.signature()[e], 1e-5);
                        for (int s = 0; s < 40; s++) {
                            assertArrayEquals(x.activations()[e][s], y.activations()[e][s], 1e-5, "the same sample, in the same order");
                        }
                    }
                }
            }
        }
    }

    @Test
    void sequentialReusesTheDensePrefixAndOptionsSelectTheMergeRule() {
        try (MoeTransformer m = MoeTransformer.open(olmoe)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            PruningPlan seq = TestModels.plan(ctx, "ream", 0.5, Map.of());
            PruningPlan one = TestModels.plan(ctx, "ream", 0.5, Map.of("sequential", "false"));
            LayerPlan a = seq.layers().get(0);
            LayerPlan b = one.layers().get(0);
            assertArrayEquals(b.kept(), a.kept(), "layer 0 sees the dense model either way");
            assertArrayEquals(b.merges().get(0).alignment()[1], a.merges().get(0).alignment()[1]);
            PruningPlan none = TestModels.plan(ctx, "ream", 0.5, Map.of("merging", "none", "sequential", "false"));
            assertTrue(none.layers().stream().allMatch(lp -> lp.merges().isEmpty()), "merging=none keeps the centroids only");
            assertArrayEquals(b.kept(), none.layers().get(0).kept());
            PruningPlan avg = TestModels.plan(ctx, "ream", 0.5, Map.of("merging", "avg", "sequential", "false"));
            ExpertMerge mg = avg.layers().get(0).merges().get(0);
            assertNull(mg.alignment(), "avg: no alignment");
            for (double w : mg.weights()) {
                assertEquals(1.0 / mg.members().length, w, 1e-12);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestModels.plan(ctx, "ream", 0.5, Map.of("group_size", "1")));
            assertTrue(e.getMessage().contains("group_size"), e.getMessage());
        }
    }
}
