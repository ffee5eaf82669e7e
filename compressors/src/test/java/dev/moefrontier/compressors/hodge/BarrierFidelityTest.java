package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.testing.Fixtures;
import dev.moefrontier.harness.util.Csv;
import dev.moefrontier.harness.util.Overlap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local against full barriers: the analyzer's rank correlation and kept-set overlap, checked against the cells' own plans. */
class BarrierFidelityTest {
    @TempDir
    Path tmp;

    @Test
    void jaccardAndSpearmanOfHandMadeSets() {
        assertEquals(0.5, Overlap.jaccard(new int[] {0, 1, 2}, new int[] {1, 2, 3}), 1e-12);
        assertEquals(1.0, Overlap.jaccard(new int[] {3, 1}, new int[] {1, 3}), 1e-12);
        assertEquals(0.0, Overlap.jaccard(new int[] {0}, new int[] {1}), 1e-12);
        assertEquals(List.of(2.0, 3.0, 5.0), java.util.Arrays.stream(Filtration.upper(new double[][] {{0, 2, 3}, {2, 0, 5}, {3, 5, 0}}))
                .boxed().toList());
    }

    @Test
    void aGroupWithBothBarrierModesReportsTheirAgreement() throws Exception {
        Path dir = Fixtures.conformance("qwen3_moe-a");
                List<String> log = new ArrayList<>();
        CompressorCatalog catalog = CompressorCatalog.load();
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            CompressionContext ctx = TinyContexts.of(m, dir.resolve("inputs.json"), tmp.resolve("cache"), log);
            Compressor hc = catalog.get("hodgecover");
            Map<Cell, PruningPlan> plans = new LinkedHashMap<>();
            Map<String, PruningPlan> byMode = new LinkedHashMap<>();
            for (String mode : List.of("full", "local")) {
                Map<String, String> o = Map.of("barrier", mode);
                PruningPlan p = hc.plan(ctx, 0.5, Options.parse("hodgecover", hc.options(), o));
                plans.put(new Cell("m", "hodgecover", o, 0.5), p);
                byMode.put(mode, p);
            }
            Path out = Files.createDirectories(tmp.resolve("analysis"));
            new HodgeBalanceAnalyzer().analyze("m", ctx, plans, out);
            List<Map<String, String>> rows = Csv.parse(Files.readString(out.resolve("barrier_fidelity.csv")));
            assertEquals(m.config().moeLayers().size(), rows.size(), "one row per layer at the one ratio");
            Map<Integer, LayerBarriers> full = BarrierStatistic.barriers(ctx,
                    HodgeCoverCompressor.settings(Options.parse("hodgecover", hc.options(), Map.of("barrier", "full"))));
            Map<Integer, LayerBarriers> local = BarrierStatistic.barriers(ctx,
                    HodgeCoverCompressor.settings(Options.parse("hodgecover", hc.options(), Map.of("barrier", "local"))));
            for (Map<String, String> r : rows) {
                int l = Integer.parseInt(r.get("layer"));
                LayerPlan a = byMode.get("full").layer(l);
                LayerPlan b = byMode.get("local").layer(l);
                assertEquals(Overlap.jaccard(a.kept(), b.kept()), Double.parseDouble(r.get("kept_jaccard")), 1e-12,
                        "the overlap of the two cells' kept sets");
                assertEquals(PaperClaims.spearman(Filtration.upper(full.get(l).pairs()), Filtration.upper(local.get(l).pairs())),
                        Double.parseDouble(r.get("pair_spearman")), 1e-12);
                assertEquals("barrier=full", r.get("full_options"));
            }
            String md = new HodgeBalanceAnalyzer().summaries(Map.of("barrier_fidelity.csv", rows)).get("barrier_fidelity.md");
            assertTrue(md.startsWith("# Barrier fidelity") && md.contains("| m | 0.5 |"), md);

            // one mode only: no fidelity table
            Path one = Files.createDirectories(tmp.resolve("one"));
            Map<Cell, PruningPlan> onlyFull = new LinkedHashMap<>();
            onlyFull.put(new Cell("m", "hodgecover", Map.of("barrier", "full"), 0.5), byMode.get("full"));
            new HodgeBalanceAnalyzer().analyze("m", ctx, onlyFull, one);
            assertFalse(Files.exists(one.resolve("barrier_fidelity.csv")));
        }
    }
}
