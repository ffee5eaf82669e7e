package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.spi.RunTable;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.CellResult;
import dev.moefrontier.harness.sweep.RunSummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The claims analyzer on a hand-made run whose every verdict is known (methods.md §9). */
class PaperClaimsTest {
    private static final Map<String, String> HC = Map.of("barrier", "local");

    private static CellResult cell(String compressor, Map<String, String> opts, double ratio, double ppl, double pplSe, double acc,
            double accSe) {
        return new CellResult(new Cell("mini", compressor, opts, ratio), ratio, ratio, Map.of(), PlanFigures.NONE,
                List.of(new CellResult.Metric("mini_ppl", "ppl", ppl, pplSe, 10, false),
                        new CellResult.Metric("mini_mc", "acc", acc, accSe, 100, true)),
                new LinkedHashMap<>(Map.of("mini_ppl", "ppl", "mini_mc", "acc")), 0, "calib", 1);
    }

    private static Map<String, String> balance(String compressor, String options, double ratio, double balance) {
        return Map.of("backbone", "mini", "compressor", compressor, "options", options, "ratio", Double.toString(ratio), "layer", "mean",
                "balance", Double.toString(balance));
    }

    private static RunSummary run(boolean withReap) {
        List<CellResult> r = new ArrayList<>();
        r.add(cell("dense", Map.of(), 0, 3.0, 0.05, 0.9, 0.02));
        r.add(cell("hodgecover", HC, 0.33, 3.30, 0.05, 0.80, 0.02));
        r.add(cell("hodgecover", HC, 0.66, 5.0, 0.1, 0.60, 0.01));
        if (withReap) {
            r.add(cell("reap", Map.of(), 0.33, 3.25, 0.05, 0.81, 0.02)); // within one se at 33%: holds
            r.add(cell("reap", Map.of(), 0.66, 6.0, 0.1, 0.61, 0.01)); // ppl better, accuracy tied: not resolved
        }
        r.add(cell("frequency", Map.of(), 0.66, 6.5, 0.1, 0.60, 0.01));
        r.add(cell("random", Map.of(), 0.66, 9.0, 0.1, 0.40, 0.01));
        r.add(cell("hodgecover-triplet-penalty", HC, 0.66, 5.5, 0.1, 0.55, 0.01));
        r.add(cell("greedy-barrier", HC, 0.66, 5.5, 0.1, 0.555, 0.01));
        r.add(cell("hodgecover-no-triangle", HC, 0.66, 6.0, 0.1, 0.45, 0.01));
        r.add(cell("hodgecover-triplet-hypergraph", HC, 0.66, 7.0, 0.1, 0.35, 0.01));
        r.add(cell("hodgecover+wanda", Map.of("barrier", "local", "r1", "0.3"), 0.66, 4.0, 0.1, 0.7, 0.01));
        r.add(cell("reap+wanda", Map.of("r1", "0.3"), 0.66, 3.5, 0.1, 0.72, 0.01)); // better perplexity: C3 fails
        Map<String, List<Map<String, String>>> tables = new LinkedHashMap<>();
        tables.put("harmonic_energy.csv", List.of(Map.of("backbone", "mini", "layer", "0", "harmonic_energy_fraction", "0.30"),
                Map.of("backbone", "mini", "layer", "1", "harmonic_energy_fraction", "0.50")));
        tables.put("hodge_balance.csv", List.of(balance("hodgecover", "barrier=local", 0.66, 0.5), balance("hodgecover", "other=1", 0.66, 0.1),
                balance("reap", "", 0.66, 0.4), balance("frequency", "", 0.66, 0.45), balance("random", "", 0.66, 0.3),
                balance("reap+wanda", "r1=0.3", 0.66, 0.9)));
        return new RunSummary("t", r, tables);
    }

    private static Map<String, String> verdicts(RunSummary run) {
        Map<String, String> v = new LinkedHashMap<>();
        for (List<String> row : PaperClaims.rows(run)) {
            assertEquals("barrier=local", row.get(1));
            v.put(row.get(2), row.get(3));
        }
        return v;
    }

    @Test
    void everyVerdictOfAHandMadeRun() {
        Map<String, String> v = verdicts(run(true));
        assertEquals("holds", v.get("C1"), "fractions 0.30 and 0.50 lie in [0.29, 0.62]");
        assertEquals("not resolved", v.get("C2"), "accuracy at 66% tied with REAP within its standard error");
        assertEquals("fails", v.get("C3"), "reap+wanda's perplexity is lower beyond noise");
        assertEquals("holds", v.get("C4"), "0.5 beats 0.45; the hybrid's 0.9 and the other option set's 0.1 do not count");
        assertEquals("holds", v.get("C5"), "0.60 > 0.55 ~ 0.555 > 0.45 > 0.35 beyond se 0.014");
        assertEquals("holds", v.get("C6"), "balance deficits 0.1/0.05/0.2 rank like accuracy deficits -0.01/0/0.2 (rho 0.5)");
        assertEquals("not measured", v.get("C7"));
    }

    @Test
    void missingBaselinesAreNotMeasuredAndEvidenceCarriesTheNumbers() {
        assertEquals("not measured", verdicts(run(false)).get("C2"));
        RunTable t = new PaperClaims().findings(run(true)).get(0);
        assertEquals("claims.csv", t.file());
        String c2 = t.rows().stream().filter(r -> r.get(2).equals("C2")).findFirst().orElseThrow().get(4);
        assertTrue(c2.contains("66% mini_mc: hodgecover 0.6000 ± 0.01000 vs reap 0.6100 ± 0.01000"), c2);
        assertTrue(t.markdown().startsWith("## Paper claims"), t.markdown());
    }

    @Test
    void aRunWithoutHodgeCoverHasNoClaims() {
        RunSummary r = new RunSummary("t", List.of(cell("reap", Map.of(), 0.33, 3, 0.1, 0.8, 0.01)), Map.of());
        assertTrue(new PaperClaims().findings(r).isEmpty());
    }

    @Test
    void spearmanUsesAverageRanks() {
        assertEquals(1.0, PaperClaims.spearman(new double[] {1, 2, 3}, new double[] {10, 20, 30}), 1e-12);
        assertEquals(-1.0, PaperClaims.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
        assertEquals(List.of(1.5, 1.5, 3.0), java.util.Arrays.stream(PaperClaims.ranks(new double[] {5, 5, 7})).boxed().toList());
        assertTrue(Double.isNaN(PaperClaims.spearman(new double[] {1, 1, 1}, new double[] {1, 2, 3})));
    }
}
