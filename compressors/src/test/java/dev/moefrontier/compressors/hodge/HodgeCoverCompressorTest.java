package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.testing.Fixtures;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HodgeCover as a compressor: barriers from a model, cache reuse, 256 experts, and the {@code frontier hodge} CLI. */
class HodgeCoverCompressorTest {
    static final CompressorCatalog CATALOG = CompressorCatalog.load();

    @TempDir
    Path tmp;

    private CompressionContext context(MoeTransformer m, Path ids, List<String> log) {
        Progress.quiet(true);
        CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(ids), m.checkpoint().dir(), m.config().vocabSize(), 1 << 20);
        Calibrator cal = new Calibrator(tmp.resolve("cache"), 4096, log::add);
        return CompressionContext.builder().setModel(m).optData(d).optStats(cal.stats(m, d, java.util.List.of(RoutingStatistics.OUTPUT_NORMS)))
                .optCalibrator(cal).optLog(log::add).build();
    }

    @Test
    void barriersAreCachedAcrossRatiosAndVariants() {
        Path dir = Fixtures.conformance("qwen3_moe-a");
        List<String> log = new ArrayList<>();
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            CompressionContext ctx = context(m, dir.resolve("inputs.json"), log);
            for (String name : List.of("hodgecover", "greedy-barrier", "hodgecover-no-triangle")) {
                for (double r : new double[] {0.25, 0.5}) {
                    Compressor c = CATALOG.get(name);
                    PruningPlan p = c.plan(ctx, r, Options.parse(name, c.options(), Map.of()));
                    assertEquals(PruningPlan.Mode.REDIRECT, p.mode());
                    for (LayerPlan lp : p.layers()) {
                        assertEquals(8 - (int) Math.rint(r * 8), lp.kept().length);
                    }
                    assertEquals(m.config().moeLayers().size(), p.figures().perLayer().get("tau_star").size(), "tau* of every MoE layer");
                    assertTrue(p.figures().perLayer().get("balance").values().stream().allMatch(b -> b >= 0 && b <= 1));
                }
            }
        }
        long computed = log.stream().filter(s -> s.startsWith("barriers: memory budget")).count();
        long reused = log.stream().filter(s -> s.startsWith("calibration: reusing cached statistic 'hodge-barriers[")).count();
        assertEquals(1, computed, "barriers measured once: " + log);
        assertEquals(5, reused, "then reused from the calibration cache: " + log);
    }

    @Test
    void runsOn256ExpertsWithLocalBarriers() throws IOException {
        Path dir = tmp.resolve("q35-256");
        SyntheticCheckpoint.of("qwen3_5_moe").layers(2).fullAttentionInterval(2).hidden(32).heads(2, 1, 16).experts(256, 8, 8)
                .shared(16).vocab(128).seed(6).write(dir);
        Random r = new Random(2);
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int s = 0; s < 4; s++) {
            sb.append(s == 0 ? "" : ",").append(java.util.Arrays.toString(r.ints(64, 0, 128).toArray()));
        }
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, sb.append("]}").toString());
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            CompressionContext ctx = context(m, ids, new ArrayList<>());
            Compressor c = CATALOG.get("hodgecover");
            long t0 = System.nanoTime();
            PruningPlan p = c.plan(ctx, 0.66, Options.parse("hodgecover", c.options(), Map.of("barrier", "local")));
            double secs = (System.nanoTime() - t0) / 1e9;
            for (LayerPlan lp : p.layers()) {
                assertEquals(87, lp.kept().length, "0.66 of 256 keeps 87");
            }
            assertTrue(secs < 120, "local barriers of 2 x 32640 pairs in " + secs + " s");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"planted-cycle", "random-16", "random-64"})
    void hodgeCliReproducesTheFixtures(String name) throws IOException {
        Path out = tmp.resolve(name + ".json");
        Cli.Result r = Cli.run("hodge", "--input", Fixtures.resource("/hodge/" + name + ".json").toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        JsonObject got = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
        JsonObject want = HodgeFixtureTest.load(name).getAsJsonObject("expected");
        for (String k : want.keySet()) {
            HodgeFixtureTest.compare(name + "." + k, want.get(k), got.get(k));
        }
    }

    @Test
    void hodgeCliRejectsBadInput() throws IOException {
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"pair_barriers\": [[0, 1], [2, 0]], \"candidate_triangles\": [], \"triplet_barriers\": [],"
                + " \"saliency\": [1, 1], \"keep\": 1}");
        Cli.Result r = Cli.run("hodge", "--input", bad.toString(), "--out", tmp.resolve("x.json").toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains(bad.toString()) && r.err().contains("not symmetric"), r.err());
        assertTrue(!Files.exists(tmp.resolve("x.json")));
    }
}
