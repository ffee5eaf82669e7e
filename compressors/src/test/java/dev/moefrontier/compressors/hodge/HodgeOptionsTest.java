package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each open-choice option of the HodgeCover family changes exactly what it names (methods.md §4.12). */
class HodgeOptionsTest {
    static final CompressorCatalog CATALOG = CompressorCatalog.load();

    @TempDir
    Path tmp;

    @Test
    void saliencyScaleSetsTheWeightOfSaliencyAgainstCoverage() throws Exception {
        JsonObject in = HodgeFixtureTest.load("random-16").getAsJsonObject("input");
        HodgeInput base = HodgeCover.input(in);
        HodgeParams sum = HodgeCover.params(in.getAsJsonObject("params"));
        int[] golden = HodgeCover.run(base, sum).selection().selected();
        // raw on a saliency that already sums to 1 is the reference reading
        HodgeInput unit = new HodgeInput(base.pairBarriers(), base.candidates(), base.tripletBarriers(), base.normalizedSaliency(), base.keep());
        assertArrayEquals(golden, HodgeCover.run(unit, with(sum, HodgeParams.SaliencyScale.RAW)).selection().selected());
        // sum and max ignore the saliency's units
        HodgeInput big = new HodgeInput(base.pairBarriers(), base.candidates(), base.tripletBarriers(),
                Arrays.stream(base.saliency()).map(x -> x * 1e6).toArray(), base.keep());
        assertArrayEquals(golden, HodgeCover.run(big, sum).selection().selected());
        int[] max = HodgeCover.run(base, with(sum, HodgeParams.SaliencyScale.MAX)).selection().selected();
        assertArrayEquals(max, HodgeCover.run(big, with(sum, HodgeParams.SaliencyScale.MAX)).selection().selected());
        // raw on a huge saliency: coverage (at most lambda_e + lambda_t) no longer matters, the top-keep by saliency win
        int[] raw = Arrays.stream(HodgeCover.run(big, with(sum, HodgeParams.SaliencyScale.RAW)).selection().selected()).sorted().toArray();
        assertArrayEquals(topBySaliency(base.saliency(), base.keep()), raw);
        assertNotEquals(Arrays.toString(Arrays.stream(golden).sorted().toArray()), Arrays.toString(raw),
                "the fixture's cover is not the saliency top-k");
    }

    @Test
    void gridSetsTheFiltrationRange() throws Exception {
        JsonObject in = HodgeFixtureTest.load("random-16").getAsJsonObject("input");
        HodgeInput base = HodgeCover.input(in);
        HodgeParams ref = HodgeCover.params(in.getAsJsonObject("params"));
        double[] g = HodgeCover.run(base, ref).filtration().grid();
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (int i = 0; i < base.n(); i++) {
            for (int j = i + 1; j < base.n(); j++) {
                min = Math.min(min, base.pairBarriers()[i][j]);
                max = Math.max(max, base.pairBarriers()[i][j]);
            }
        }
        assertEquals(min, g[0]);
        assertEquals(Filtration.median(base.pairBarriers()), g[g.length - 1]);
        HodgeParams wide = new HodgeParams(ref.steps(), ref.p(), ref.q(), ref.lambdaE(), ref.lambdaT(), ref.alpha(), ref.variant(),
                ref.saliencyScale(), HodgeParams.Grid.ZERO_1_1MAX, ref.cover(), ref.complex());
        double[] w = HodgeCover.run(base, wide).filtration().grid();
        assertEquals(0.0, w[0]);
        assertEquals(1.1 * max, w[w.length - 1]);
        assertEquals(ref.steps(), w.length);
    }

    @Test
    void coverAllCountsAnEdgeOnlyWhenBothEndsAreKept() throws Exception {
        JsonObject in = HodgeFixtureTest.load("random-16").getAsJsonObject("input");
        HodgeInput base = HodgeCover.input(in);
        // every edge of K critical, coverage worth far more than saliency, no triangle term
        for (HodgeParams.Cover cover : HodgeParams.Cover.values()) {
            HodgeParams p = new HodgeParams(80, 1.0, 0.2, 1e6, 0, 1, HodgeParams.Variant.HODGECOVER, HodgeParams.SaliencyScale.SUM,
                    HodgeParams.Grid.MIN_MEDIAN, cover, HodgeParams.Complex.FILTRATION);
            HodgeResult r = HodgeCover.run(base, p);
            int[] sel = r.selection().selected();
            int[] degree = new int[base.n()];
            for (int[] e : r.edges()) {
                degree[e[0]]++;
                degree[e[1]]++;
            }
            if (cover == HodgeParams.Cover.HIT) { // the first pick touches the most edges
                assertEquals(java.util.Arrays.stream(degree).max().orElseThrow(), degree[sel[0]]);
            } else { // no single vertex covers an edge: the first pick is the most salient, the second its K-neighbour
                double[] sal = base.normalizedSaliency();
                int top = 0;
                for (int v = 1; v < sal.length; v++) {
                    top = sal[v] > sal[top] ? v : top;
                }
                assertEquals(top, sel[0]);
                int first = sel[0];
                int second = sel[1];
                boolean adjacent = java.util.Arrays.stream(r.edges()).anyMatch(e -> (e[0] == first && e[1] == second) || (e[1] == first && e[0] == second));
                assertEquals(degree[first] > 0, adjacent, "the second pick completes an edge with the first when it can");
            }
        }
    }

    @Test
    void completeDecomposesOnEveryPairWithTheThresholdedFaces() throws Exception {
        JsonObject in = HodgeFixtureTest.load("random-16").getAsJsonObject("input");
        HodgeInput base = HodgeCover.input(in);
        HodgeParams ref = HodgeCover.params(in.getAsJsonObject("params"));
        HodgeResult k = HodgeCover.run(base, ref);
        HodgeParams all = new HodgeParams(ref.steps(), ref.p(), ref.q(), ref.lambdaE(), ref.lambdaT(), ref.alpha(), ref.variant(),
                ref.saliencyScale(), ref.grid(), ref.cover(), HodgeParams.Complex.COMPLETE);
        HodgeResult c = HodgeCover.run(base, all);
        int n = base.n();
        assertEquals(n * (n - 1) / 2, c.edges().length, "every pair is an edge");
        assertEquals(k.filtration().tauStar(), c.filtration().tauStar(), "tau* still from the filtration");
        long faces = java.util.Arrays.stream(base.tripletBarriers()).filter(x -> x <= k.filtration().tauStar()).count();
        assertEquals(faces, c.faces().length);
        assertTrue(c.faces().length >= k.faces().length, "a superset of K's faces");
        double[] harm = c.decomposition().harm();
        double[] grad = c.decomposition().grad();
        double[] curl = c.decomposition().curl();
        for (int e = 0; e < harm.length; e++) { // still an orthogonal decomposition of b on the larger complex
            double b = base.pairBarriers()[c.edges()[e][0]][c.edges()[e][1]];
            assertEquals(b, grad[e] + curl[e] + harm[e], 1e-9 * Math.max(1, Math.abs(b)));
        }
    }

    @Test
    void triangleQuantileSetsTheCandidateGraph() throws Exception {
        HodgeInput base = HodgeCover.input(HodgeFixtureTest.load("random-16").getAsJsonObject("input"));
        double[][] b = base.pairBarriers();
        int n = b.length;
        assertArrayEquals(Candidates.triangles(b, 100000, 0), Candidates.triangles(b, 100000, 0, 0.5), "0.5 is the median graph");
        assertEquals(n * (n - 1) * (n - 2) / 6, Candidates.triangles(b, 100000, 0, 1.0).length, "at the maximum every pair is in");
        int quarter = Candidates.triangles(b, 100000, 0, 0.25).length;
        int half = Candidates.triangles(b, 100000, 0, 0.5).length;
        assertTrue(quarter < half, quarter + " < " + half);
        // the reference keeps its cache key; another quantile is another key
        BarrierSettings ref = new BarrierSettings(MergeBarriers.Mode.LOCAL, 0, 500, 0, 4096, 0);
        assertEquals(ref.key(), new BarrierSettings(MergeBarriers.Mode.LOCAL, 0, 500, 0, 4096, 0, 0.5, false).key());
        assertEquals("LOCAL-t0-cap500-s0-b4096-v3", ref.key());
        assertNotEquals(ref.key(), new BarrierSettings(MergeBarriers.Mode.LOCAL, 0, 500, 0, 4096, 0, 0.25, false).key());
    }

    @Test
    void klReverseMeasuresTheOtherDivergenceUnderItsOwnCacheKey() {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            double[] p = {0.7, 0.2, 0.1};
            double[] q = {0.5, 0.25, 0.25};
            ai.djl.ndarray.NDArray lp = m.create(new float[] {(float) Math.log(p[0]), (float) Math.log(p[1]), (float) Math.log(p[2])}, new ai.djl.ndarray.types.Shape(1, 3));
            ai.djl.ndarray.NDArray lq = m.create(new float[] {(float) Math.log(q[0]), (float) Math.log(q[1]), (float) Math.log(q[2])}, new ai.djl.ndarray.types.Shape(1, 3));
            double forward = 0;
            double reverse = 0;
            for (int i = 0; i < 3; i++) {
                forward += p[i] * Math.log(p[i] / q[i]);
                reverse += q[i] * Math.log(q[i] / p[i]);
            }
            assertEquals(forward, MergeBarriers.klRows(lp, lq).toFloatArray()[0], 1e-6);
            assertEquals(reverse, MergeBarriers.klRows(lq, lp).toFloatArray()[0], 1e-6);
            assertNotEquals(forward, reverse, 1e-3);
        }
        Path dir = Fixtures.conformance("qwen3_moe-a");
                List<String> log = new ArrayList<>();
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            CompressionContext ctx = TinyContexts.of(m, dir.resolve("inputs.json"), tmp.resolve("cache"), log);
            Compressor hc = CATALOG.get("hodgecover");
            Map<Integer, LayerBarriers> fwd = BarrierStatistic.barriers(ctx,
                    HodgeCoverCompressor.settings(Options.parse("hodgecover", hc.options(), Map.of("barrier", "local"))));
            Map<Integer, LayerBarriers> rev = BarrierStatistic.barriers(ctx,
                    HodgeCoverCompressor.settings(Options.parse("hodgecover", hc.options(), Map.of("barrier", "local", "kl", "reverse"))));
            boolean differ = false;
            for (int l : fwd.keySet()) {
                double[][] a = fwd.get(l).pairs();
                double[][] r = rev.get(l).pairs();
                for (int i = 0; i < a.length; i++) {
                    for (int j = i + 1; j < a.length; j++) {
                        assertTrue(r[i][j] >= 0, "a divergence is not negative");
                        assertEquals(a[i][j] == 0, r[i][j] == 0, "both vanish exactly where no token reaches the merge");
                        differ |= a[i][j] != r[i][j];
                    }
                }
            }
            assertTrue(differ, "the reverse divergence is another quantity");
        }
    }

    private static HodgeParams with(HodgeParams p, HodgeParams.SaliencyScale s) {
        return new HodgeParams(p.steps(), p.p(), p.q(), p.lambdaE(), p.lambdaT(), p.alpha(), p.variant(), s, p.grid(), p.cover(), p.complex());
    }

    private static int[] topBySaliency(double[] sal, int keep) {
        Integer[] idx = new Integer[sal.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> sal[a] != sal[b] ? Double.compare(sal[b], sal[a]) : Integer.compare(a, b));
        return Arrays.stream(idx).limit(keep).mapToInt(Integer::intValue).sorted().toArray();
    }

    @Test
    void applyAndSaliencyChangeOnlyTheModeAndTheScore() {
        Path dir = Fixtures.conformance("qwen3_moe-a");
                List<String> log = new ArrayList<>();
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            CompressionContext ctx = TinyContexts.of(m, dir.resolve("inputs.json"), tmp.resolve("cache"), log);
            Compressor hc = CATALOG.get("hodgecover");
            PruningPlan redirect = hc.plan(ctx, 0.5, Options.parse("hodgecover", hc.options(), Map.of()));
            PruningPlan drop = hc.plan(ctx, 0.5, Options.parse("hodgecover", hc.options(), Map.of("apply", "drop")));
            assertEquals(PruningPlan.Mode.REDIRECT, redirect.mode());
            assertEquals(PruningPlan.Mode.DROP, drop.mode());
            for (LayerPlan lp : redirect.layers()) {
                assertArrayEquals(lp.kept(), drop.layer(lp.layer()).kept(), "apply changes how the plan is applied, not what it keeps");
            }
            // saliency=frequency: the same selection run on the frequency scores
            PruningPlan byFreq = hc.plan(ctx, 0.5, Options.parse("hodgecover", hc.options(), Map.of("saliency", "frequency")));
            ExpertScorer freq = (ExpertScorer) CATALOG.get("frequency");
            Map<Integer, double[]> counts = freq.scores(ctx, Options.parse("frequency", freq.options(), Map.of()));
            Map<Integer, LayerBarriers> barriers = BarrierStatistic.barriers(ctx,
                    HodgeCoverCompressor.settings(Options.parse("hodgecover", hc.options(), Map.of())));
            int keep = 8 - ctx.pruneCount(0.5);
            for (LayerPlan lp : byFreq.layers()) {
                int[] want = HodgeCover.run(barriers.get(lp.layer()).input(counts.get(lp.layer()), keep), HodgeParams.defaults())
                        .selection().selected().clone();
                Arrays.sort(want);
                assertArrayEquals(want, lp.kept(), "layer " + lp.layer());
            }
        }
    }
}
