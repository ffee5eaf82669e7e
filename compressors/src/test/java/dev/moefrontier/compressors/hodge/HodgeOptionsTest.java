package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.testing.Fixtures;
import dev.moefrontier.harness.util.Progress;
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

    private static HodgeParams with(HodgeParams p, HodgeParams.SaliencyScale s) {
        return new HodgeParams(p.steps(), p.p(), p.q(), p.lambdaE(), p.lambdaT(), p.alpha(), p.variant(), s);
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
        Progress.quiet(true);
        List<String> log = new ArrayList<>();
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(dir.resolve("inputs.json")), m.checkpoint().dir(),
                    m.config().vocabSize(), 1 << 20);
            Calibrator cal = new Calibrator(tmp.resolve("cache"), 4096, log::add);
            CompressionContext ctx = CompressionContext.builder().setModel(m).optData(d)
                    .optStats(cal.stats(m, d, List.of(RoutingStatistics.OUTPUT_NORMS))).optCalibrator(cal).optLog(log::add).build();
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
