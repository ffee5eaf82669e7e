package dev.moefrontier.harness.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.compress.LayerMasks;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.util.Csv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan-aware check on hand-made runs: plan changes are PLAN CHANGED (not WORSE), policies, environments. */
class ReferenceCheckTest {
    @TempDir
    Path tmp;

    private static final Cell REAP = new Cell("mini", "reap", Map.of(), 0.5);
    private static final Cell FREQ = new Cell("mini", "frequency", Map.of(), 0.5);

    private static String env(String mode, String capability) {
        return "{\"mode\": \"" + mode + "\", \"aten_cpu_capability\": \"" + capability + "\", \"canary\": \"abc\"}";
    }

    /** A run or reference folder: two cells with their ppl, and their plans (layer 1 keeps {@code reapKept} for reap). */
    private Path folder(String name, double reapPpl, double freqPpl, int[] reapKept, String envJson, boolean asReference)
            throws IOException {
        Path d = tmp.resolve(name);
        Files.createDirectories(d);
        StringBuilder csv = new StringBuilder(Collector.HEADER).append('\n');
        for (Object[] r : new Object[][] {{REAP, reapPpl}, {FREQ, freqPpl}}) {
            Cell c = (Cell) r[0];
            csv.append(Csv.row(c.backbone(), c.compressor(), "", "0.5", "0.5", "", "", "0.4", "mini_ppl", "ppl", r[1], "0.1", 2, 0, "cal", "1.0", false));
        }
        Files.writeString(d.resolve("frontier.csv"), csv);
        String plans = PlanRecord.of(REAP, plan("reap", reapKept, 0.0)).toJsonLine() + "\n"
                + PlanRecord.of(FREQ, plan("frequency", new int[] {0, 1, 2, 3}, 0.25)).toJsonLine() + "\n";
        Files.writeString(d.resolve("plans.jsonl"), plans);
        if (asReference) {
            Files.writeString(d.resolve("tolerances.json"), "{\"default\": {\"abs\": 0, \"rel\": 0.01}}");
            Files.writeString(d.resolve("environment.json"), envJson);
        } else {
            Files.writeString(d.resolve("manifest.json"), "{\"numerics\": " + envJson + "}");
        }
        return d;
    }

    private static PruningPlan plan(String name, int[] kept, double margin) {
        return new PruningPlan(name, Map.of(), 0.5, PruningPlan.Mode.DROP, List.of(LayerPlan.keep(1, 8, kept)), null, Map.of())
                .withMargins(Map.of(1, margin));
    }

    @Test
    void identicalRunsPassWithEveryPlanCompared() throws IOException {
        Path ref = folder("ref", 3.0, 4.0, new int[] {0, 1, 2, 3}, env("reproducible", "AVX2"), true);
        Path run = folder("run", 3.0, 4.0, new int[] {0, 1, 2, 3}, env("reproducible", "AVX2"), false);
        Cli.Result r = Cli.run("check", run.toString(), "--against", ref.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("OK: 2 reference values within tolerance; 2 of 2 plans identical"), r.out());
        assertFalse(r.out().contains("numeric environments differ"), r.out());
    }

    @Test
    void aChangedPlanIsReportedWithItsSetDifferenceNotAsAWorseValue() throws IOException {
        Path ref = folder("ref", 3.0, 4.0, new int[] {0, 1, 2, 3}, env("reproducible", "AVX2"), true);
        Path run = folder("run", 9.0, 4.0, new int[] {0, 1, 2, 5}, env("fast", "AVX512"), false);
        Cli.Result r = Cli.run("check", run.toString(), "--against", ref.toString());
        assertEquals(1, r.status(), "a reference made in reproducible mode fails on a plan change by default: " + r.out());
        assertTrue(r.out().contains("PLAN CHANGED mini | reap | r=0.5: layer 1: kept -[3] +[5]"), r.out());
        assertTrue(r.out().contains("(margin reference 0, a tie broken by index, run 0, a tie broken by index)"), r.out());
        assertFalse(r.out().contains("WORSE"), "the changed cell's ppl (3 -> 9) is not a value regression: " + r.out());
        assertTrue(r.out().contains("REGRESSION: 1 of 2 plans changed (1 values of changed plans not compared)"), r.out());
        assertTrue(r.out().contains("numeric environments differ (reference vs run):"), r.out());
        assertTrue(r.out().contains("mode: \"reproducible\" vs \"fast\"") && r.out().contains("aten_cpu_capability: \"AVX2\" vs \"AVX512\""),
                r.out());

        Cli.Result warn = Cli.run("check", run.toString(), "--against", ref.toString(), "--plan-changes", "warn");
        assertEquals(0, warn.status(), warn.out());
        assertTrue(warn.out().contains("PLAN CHANGED") && warn.out().contains("(warning)"), warn.out());
        assertTrue(warn.out().contains("1 plan change(s) reported as warnings"), warn.out());
    }

    private static String cpuEnv(String vendor) {
        return "{\"mode\": \"reproducible\", \"aten_cpu_capability\": \"AVX2\", \"canary\": \"abc\", \"cpu_vendor\": \"" + vendor
                + "\", \"cpu_model\": \"" + vendor + " model\"}";
    }

    @Test
    void onAnotherCpuAChangeAtAReferenceNearTieOnlyWarns() throws IOException {
        Path ref = folder("ref", 3.0, 4.0, new int[] {0, 1, 2, 3}, cpuEnv("AuthenticAMD"), true);
        Files.writeString(ref.resolve("tolerances.json"), "{\"default\": {\"abs\": 0, \"rel\": 0.01}, \"plan_margin\": 1e-3}");
        Path other = folder("other", 9.0, 4.0, new int[] {0, 1, 2, 5}, cpuEnv("GenuineIntel"), false);
        Cli.Result r = Cli.run("check", other.toString(), "--against", ref.toString());
        assertEquals(0, r.status(), "the reference decided reap's layer 1 by the index rule (margin 0): " + r.out());
        assertTrue(r.out().contains("PLAN NEAR-TIE mini | reap | r=0.5: layer 1: kept -[3] +[5]"), r.out());
        assertTrue(r.out().contains("1 plan change(s) at reference near-ties on another CPU (warnings)"), r.out());
        assertTrue(r.out().contains("1 of 2 plans identical (1 values of changed plans not compared)"), r.out());

        Path moved = folder("moved", 9.0, 4.0, new int[] {0, 1, 2, 5}, cpuEnv("GenuineIntel"), false);
        String csv = Files.readString(moved.resolve("frontier.csv"));
        Files.writeString(moved.resolve("frontier.csv"), csv.replaceFirst(",0.4,mini_ppl", ",0.45,mini_ppl"));
        Cli.Result compression = Cli.run("check", moved.toString(), "--against", ref.toString());
        assertEquals(1, compression.status(), "a near-tie must still remove what the reference removed: " + compression.out());
        assertTrue(compression.out().contains("COMPRESSION"), compression.out());

        Path same = folder("same", 9.0, 4.0, new int[] {0, 1, 2, 5}, cpuEnv("AuthenticAMD"), false);
        Cli.Result strict = Cli.run("check", same.toString(), "--against", ref.toString());
        assertEquals(1, strict.status(), "on the reference's own CPU every plan change fails: " + strict.out());
        assertTrue(strict.out().contains("PLAN CHANGED mini | reap"), strict.out());

        Files.writeString(ref.resolve("tolerances.json"), "{\"default\": {\"abs\": 0, \"rel\": 0.01}}");
        assertEquals(1, Cli.run("check", other.toString(), "--against", ref.toString()).status(),
                "without plan_margin there is no near-tie allowance");
        String wide = PlanRecord.of(REAP, plan("reap", new int[] {0, 1, 2, 3}, 0.01)).toJsonLine() + "\n"
                + PlanRecord.of(FREQ, plan("frequency", new int[] {0, 1, 2, 3}, 0.25)).toJsonLine() + "\n";
        Files.writeString(ref.resolve("plans.jsonl"), wide);
        Files.writeString(ref.resolve("tolerances.json"), "{\"default\": {\"abs\": 0, \"rel\": 0.01}, \"plan_margin\": 1e-3}");
        Cli.Result clear = Cli.run("check", other.toString(), "--against", ref.toString());
        assertEquals(1, clear.status(), "a decision the reference took with a clear margin (0.01) must not change: " + clear.out());
    }

    @Test
    void onAnotherCpuAPlanWhoseOnlyChangeIsItsMasksIsANearTie() {
        LayerMasks a = new LayerMasks(Map.of(), null, "aaaa");
        LayerMasks b = new LayerMasks(Map.of(), null, "bbbb");
        int[] kept = {0, 1, 2, 3};
        PlanRecord ref = PlanRecord.of(REAP, masked(kept, a, 0.01));
        assertEquals(0.0, ref.largestChangedMargin(PlanRecord.of(REAP, masked(kept, b, 0.01))), "masks alone: a tie by construction");
        assertEquals(0.01, ref.largestChangedMargin(PlanRecord.of(REAP, masked(new int[] {0, 1, 2, 5}, b, 0.01))), 0.0,
                "when the experts moved too, their margin counts");
        assertEquals(0.0, ref.largestChangedMargin(PlanRecord.of(REAP, masked(kept, a, 0.01))), "nothing changed");
    }

    private static PruningPlan masked(int[] kept, LayerMasks masks, double margin) {
        LayerPlan lp = LayerPlan.keep(1, 8, kept).withMasks(masks);
        return new PruningPlan("reap", Map.of(), 0.5, PruningPlan.Mode.DROP, List.of(lp), null, Map.of()).withMargins(Map.of(1, margin));
    }

    @Test
    void aReferenceMadeInFastModeOnlyWarnsOnPlanChangesUnlessTold() throws IOException {
        Path ref = folder("ref", 3.0, 4.0, new int[] {0, 1, 2, 3}, env("fast", "AVX512"), true);
        Path run = folder("run", 9.0, 4.0, new int[] {0, 1, 2, 5}, env("fast", "AVX512"), false);
        assertEquals(0, Cli.run("check", run.toString(), "--against", ref.toString()).status());
        assertEquals(1, Cli.run("check", run.toString(), "--against", ref.toString(), "--plan-changes", "fail").status());
    }

    @Test
    void aRegressionWithAnUnchangedPlanIsStillWorse() throws IOException {
        Path ref = folder("ref", 3.0, 4.0, new int[] {0, 1, 2, 3}, env("reproducible", "AVX2"), true);
        Path run = folder("run", 3.0, 4.5, new int[] {0, 1, 2, 3}, env("reproducible", "AVX2"), false);
        Cli.Result r = Cli.run("check", run.toString(), "--against", ref.toString(), "--plan-changes", "warn");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("WORSE        mini | frequency | r=0.5 | mini_ppl ppl: reference 4.00000, run 4.50000"), r.out());
        assertTrue(r.out().contains("REGRESSION: 1 of 2 reference values out of tolerance or missing"), r.out());
    }

    @Test
    void aRunWithoutPlansFailsAgainstAReferenceWithPlans() throws IOException {
        Path ref = folder("ref", 3.0, 4.0, new int[] {0, 1, 2, 3}, env("reproducible", "AVX2"), true);
        Path run = folder("run", 3.0, 4.0, new int[] {0, 1, 2, 3}, env("reproducible", "AVX2"), false);
        Files.delete(run.resolve("plans.jsonl"));
        Cli.Result r = Cli.run("check", run.toString(), "--against", ref.toString());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("PLANS MISSING"), r.out());
    }
}
