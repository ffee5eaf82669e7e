package dev.moefrontier.harness.sweep;

import com.google.gson.JsonObject;
import com.google.gson.annotations.SerializedName;
import dev.moefrontier.harness.util.Json;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.runtime.NumericEnvironment;
import dev.moefrontier.harness.util.Csv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Regression check of a run against a reference folder ({@code frontier.csv}, {@code tolerances.json}, and when
 * present {@code plans.jsonl} and {@code environment.json}).
 *
 * <p>Plans are compared first: a cell whose plan fingerprint differs from the reference's is reported as
 * {@code PLAN CHANGED} with the set difference per layer and both decision margins, and its values are not compared
 * (a different plan is a different experiment, not a regression of the same one). Cells whose plans agree are held to
 * the value bands: |run − reference| ≤ max(abs, rel · |reference|) with the tolerances of their metric
 * ({@code metrics.<name>}, else {@code default}), and the achieved compression must match to {@code compression_abs}.
 * Reference rows missing from the run fail; rows only in the run are listed, not failed. Plan changes fail under
 * {@link PlanPolicy#FAIL} (the default for references made in the reproducible numerics mode) and are warnings under
 * {@link PlanPolicy#WARN}. When both sides recorded their numeric environment and they differ, the report starts with
 * the differences. On a CPU other than the reference's (vendor or model), a changed plan whose every changed layer had
 * a reference decision margin below {@code plan_margin} (tolerances.json; 0 when absent) is a {@code PLAN NEAR-TIE}
 * warning: floating-point noise between CPUs can flip such a decision (methods.md §10); its values are not compared,
 * but its achieved compression still must match (a layer whose only change is its masks counts as a near-tie).
 */
public final class ReferenceCheck {
    /** What a changed plan means for the verdict. */
    public enum PlanPolicy {
        /** A plan change fails the check. */
        FAIL,
        /** A plan change is reported but does not fail. */
        WARN,
        /** FAIL when the reference was made in the reproducible numerics mode, else WARN. */
        AUTO
    }

    /**
     * A reference's {@code tolerances.json}.
     *
     * @param comment what the bands mean (for readers)
     * @param defaults the band of a metric not named in {@code metrics}
     * @param metrics metric → band
     * @param compressionAbs how far the achieved compression may move (1e-6 when absent)
     * @param planMargin the near-tie margin on another CPU (0 when absent)
     */
    record Tolerances(@SerializedName("_comment") String comment, @SerializedName("default") Band defaults,
            Map<String, Band> metrics, Double compressionAbs, Double planMargin) {}

    /** Tolerance band of one metric (a missing bound is 0). */
    public record Band(double abs, double rel) {
        boolean holds(double ref, double got) {
            if (Double.isNaN(ref) || Double.isNaN(got)) {
                return Double.isNaN(ref) == Double.isNaN(got);
            }
            return Math.abs(got - ref) <= Math.max(abs, rel * Math.abs(ref)) + 1e-12;
        }
    }

    /**
     * One difference.
     *
     * @param key the row (or cell, for plan findings)
     * @param kind worse, better, missing, extra, compression, plan changed, plans missing
     * @param detail what changed (plan findings), else empty
     * @param fails whether it fails the check
     */
    public record Finding(String key, String kind, double reference, double run, Band band, String detail, boolean fails) {}

    /**
     * The outcome.
     *
     * @param findings every difference
     * @param checked reference values
     * @param compared reference values held to their bands (not in a changed plan)
     * @param plans reference plans compared (0 when the reference has none)
     * @param environment differences between the two numeric environments ("key: reference vs run"), if both recorded
     * @param policy the plan policy in effect
     */
    public record Result(List<Finding> findings, int checked, int compared, int plans, List<String> environment, PlanPolicy policy) {
        public boolean fails() {
            return findings.stream().anyMatch(Finding::fails);
        }
    }

    private ReferenceCheck() {}

    static String cellKey(Map<String, String> r) {
        return r.get("backbone") + " | " + r.get("compressor") + (r.get("options").isEmpty() ? "" : " [" + r.get("options") + "]") + " | r="
                + r.get("ratio");
    }

    static String key(Map<String, String> r) {
        return cellKey(r) + " | " + r.get("task") + " " + r.get("metric");
    }

    /** Compares a run (its folder, or its frontier.csv inside one) with a reference folder. */
    public static Result check(Path run, Path referenceDir, PlanPolicy policy) throws IOException {
        Path runDir = Files.isDirectory(run) ? run : run.toAbsolutePath().getParent();
        Path runCsv = Files.isDirectory(run) ? run.resolve("frontier.csv") : run;
        Path refCsv = referenceDir.resolve("frontier.csv");
        Path tolFile = referenceDir.resolve("tolerances.json");
        for (Path p : List.of(runCsv, refCsv, tolFile)) {
            if (!Files.isRegularFile(p)) {
                throw CheckpointException.of(p, "no such file");
            }
        }
        Tolerances tol = Json.read(tolFile, Tolerances.class, "tolerances file");
        Band dflt = tol.defaults() == null ? new Band(0, 0) : tol.defaults();
        Map<String, Band> bands = tol.metrics() == null ? Map.of() : tol.metrics();
        double compressionAbs = tol.compressionAbs() == null ? 1e-6 : tol.compressionAbs();
        double planMargin = tol.planMargin() == null ? 0 : tol.planMargin();

        JsonObject refEnv = Files.isRegularFile(referenceDir.resolve("environment.json")) ? json(referenceDir.resolve("environment.json")) : null;
        JsonObject runEnv = runEnvironment(runDir);
        List<String> envDiff = new ArrayList<>();
        if (refEnv != null && runEnv != null) {
            JsonObject a = refEnv.deepCopy();
            JsonObject b = runEnv.deepCopy();
            a.remove("overridden");
            b.remove("overridden");
            envDiff = NumericEnvironment.differences(a, b);
        }
        boolean otherCpu = refEnv != null && runEnv != null && !(same(refEnv, runEnv, "cpu_vendor") && same(refEnv, runEnv, "cpu_model"));
        PlanPolicy effective = policy != PlanPolicy.AUTO ? policy
                : refEnv != null && refEnv.has("mode") && refEnv.get("mode").getAsString().equals("reproducible") ? PlanPolicy.FAIL : PlanPolicy.WARN;

        List<Finding> out = new ArrayList<>();
        java.util.Set<String> changedCells = new java.util.HashSet<>();
        java.util.Set<String> nearTieCells = new java.util.HashSet<>(); // still held to the achieved compression
        Map<String, PlanRecord> refPlans = plans(referenceDir.resolve("plans.jsonl"));
        int plansCompared = 0;
        if (!refPlans.isEmpty()) {
            Path runPlansFile = runDir.resolve("plans.jsonl");
            if (!Files.isRegularFile(runPlansFile)) {
                out.add(new Finding(runPlansFile.toString(), "plans missing", Double.NaN, Double.NaN, null,
                        "the reference has plans.jsonl; collect the run with this version ('frontier collect') to compare plans", true));
            } else {
                Map<String, PlanRecord> runPlans = plans(runPlansFile);
                for (Map.Entry<String, PlanRecord> e : refPlans.entrySet()) {
                    PlanRecord got = runPlans.get(e.getKey());
                    if (got == null) {
                        continue; // the cell is missing: its values are reported as missing
                    }
                    plansCompared++;
                    if (!got.fingerprint().equals(e.getValue().fingerprint())) {
                        changedCells.add(e.getKey());
                        // methods.md §10: on another CPU, a decision the reference took at a near-tie may go the other way
                        Double m = e.getValue().largestChangedMargin(got);
                        boolean nearTie = otherCpu && m != null && m < planMargin;
                        if (nearTie) {
                            nearTieCells.add(e.getKey());
                        }
                        String detail = String.join("; ", e.getValue().differences(got));
                        out.add(new Finding(e.getKey(), nearTie ? "plan near-tie" : "plan changed", Double.NaN, Double.NaN, null,
                                nearTie ? detail + " [every changed decision had a reference margin below plan_margin "
                                        + planMargin + ", on a CPU other than the reference's]" : detail,
                                effective == PlanPolicy.FAIL && !nearTie));
                    }
                }
            }
        }

        Map<String, Map<String, String>> runRows = index(runCsv);
        Map<String, Map<String, String>> ref = index(refCsv);
        int compared = 0;
        for (Map.Entry<String, Map<String, String>> e : ref.entrySet()) {
            Map<String, String> got = runRows.get(e.getKey());
            double rv = parse(e.getValue().get("value"));
            if (got == null) {
                out.add(new Finding(e.getKey(), "missing", rv, Double.NaN, null, "", true));
                continue;
            }
            String cell = cellKey(e.getValue());
            if (changedCells.contains(cell) && !nearTieCells.contains(cell)) {
                continue;
            }
            if (!changedCells.contains(cell)) {
                compared++;
                Band b = bands.getOrDefault(e.getValue().get("metric"), dflt);
                double gv = parse(got.get("value"));
                if (!b.holds(rv, gv)) {
                    boolean higher = higherIsBetter(got, e.getValue());
                    out.add(new Finding(e.getKey(), (gv > rv) == higher ? "better" : "worse", rv, gv, b, "", true));
                }
            }
            double rc = parse(e.getValue().get("compression"));
            double gc = parse(got.get("compression"));
            if (!new Band(compressionAbs, 0).holds(rc, gc)) {
                out.add(new Finding(e.getKey() + " (compression)", "compression", rc, gc, new Band(compressionAbs, 0), "", true));
            }
        }
        for (String k : runRows.keySet()) {
            if (!ref.containsKey(k)) {
                out.add(new Finding(k, "extra", Double.NaN, parse(runRows.get(k).get("value")), null, "", false));
            }
        }
        return new Result(out, ref.size(), compared, plansCompared, envDiff, effective);
    }

    /** The direction the task declared, from the run's row (or the reference's, for runs collected before the column). */
    private static boolean higherIsBetter(Map<String, String> run, Map<String, String> reference) {
        String v = run.get("higher_is_better");
        if (v == null || v.isEmpty()) {
            v = reference.get("higher_is_better");
        }
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("frontier.csv rows of task " + run.get("task") + " carry no higher_is_better column"
                    + " (collected by an older version): run 'frontier collect' on the run folder again");
        }
        return Boolean.parseBoolean(v);
    }

    /** A readable report: environment differences, every finding, and the verdict. */
    public static String report(Result r) {
        StringBuilder sb = new StringBuilder();
        if (!r.environment().isEmpty()) {
            sb.append("numeric environments differ (reference vs run):\n");
            r.environment().forEach(d -> sb.append("  ").append(d).append('\n'));
        }
        for (Finding f : r.findings()) {
            String kind = f.kind().toUpperCase(Locale.ROOT);
            if (f.kind().startsWith("plan")) {
                sb.append(String.format(Locale.ROOT, "%-12s %s: %s%s%n", kind, f.key(), f.detail(), f.fails() ? "" : "  (warning)"));
                continue;
            }
            String band = f.band() == null ? "" : String.format(Locale.ROOT, "  (tolerance abs %s, rel %s)", f.band().abs(), f.band().rel());
            sb.append(String.format(Locale.ROOT, "%-12s %s: reference %s, run %s%s%n", kind, f.key(), fmt(f.reference()), fmt(f.run()), band));
        }
        long nearTies = r.findings().stream().filter(f -> f.kind().equals("plan near-tie")).count();
        long changed = nearTies + r.findings().stream().filter(f -> f.kind().equals("plan changed")).count();
        long failing = r.findings().stream().filter(Finding::fails).count();
        long valueFailures = r.findings().stream().filter(f -> f.fails() && !f.kind().startsWith("plan")).count();
        String plans = r.plans() == 0 ? "" : "; " + (r.plans() - changed) + " of " + r.plans() + " plans identical";
        String skipped = r.compared() < r.checked() && changed > 0
                ? " (" + (r.checked() - r.compared()) + " values of changed plans not compared)" : "";
        if (failing == 0) {
            sb.append("OK: ").append(r.compared()).append(" reference values within tolerance").append(plans).append(skipped);
            if (nearTies > 0) {
                sb.append("; ").append(nearTies).append(" plan change(s) at reference near-ties on another CPU (warnings)");
            }
            if (changed > nearTies) {
                sb.append("; ").append(changed - nearTies).append(" plan change(s) reported as warnings (--plan-changes ").append(
                        r.policy().name().toLowerCase(Locale.ROOT)).append(")");
            }
        } else {
            sb.append("REGRESSION: ");
            List<String> parts = new ArrayList<>();
            if (valueFailures > 0) {
                parts.add(valueFailures + " of " + r.checked() + " reference values out of tolerance or missing");
            }
            long failingPlans = r.findings().stream().filter(f -> f.fails() && f.kind().equals("plan changed")).count();
            if (failingPlans > 0) {
                parts.add(failingPlans + " of " + r.plans() + " plans changed");
            }
            if (parts.isEmpty()) {
                parts.add(failing + " finding(s)");
            }
            sb.append(String.join(", ", parts)).append(skipped);
        }
        return sb.toString();
    }

    private static boolean same(JsonObject a, JsonObject b, String key) {
        return a.has(key) && b.has(key) && a.get(key).equals(b.get(key));
    }

    static String fmt(double x) {
        return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.6g", x);
    }

    /** The run's numeric environment: its manifest's, else the first cell's. */
    static JsonObject runEnvironment(Path runDir) throws IOException {
        Path manifest = runDir.resolve("manifest.json");
        if (Files.isRegularFile(manifest)) {
            JsonObject n = RunManifest.read(manifest).numerics();
            if (n != null) {
                return n;
            }
        }
        Path cells = runDir.resolve("cells");
        if (Files.isDirectory(cells)) {
            try (Stream<Path> s = Files.walk(cells, 3)) {
                for (Path f : s.filter(p -> p.getFileName().toString().equals("result.json")).sorted().toList()) {
                    JsonObject fr = json(f).getAsJsonObject("frontier");
                    if (fr != null && fr.has("numerics")) {
                        return fr.getAsJsonObject("numerics");
                    }
                }
            }
        }
        return null;
    }

    private static Map<String, PlanRecord> plans(Path file) throws IOException {
        Map<String, PlanRecord> m = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return m;
        }
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            try {
                PlanRecord r = PlanRecord.fromJsonLine(line);
                m.put(r.key(), r);
            } catch (RuntimeException e) {
                throw CheckpointException.of(file, "line " + n + " is not a plan record: " + e.getMessage());
            }
        }
        return m;
    }

    private static JsonObject json(Path f) throws IOException {
        try {
            return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw CheckpointException.of(f, "not valid JSON: " + e.getMessage());
        }
    }

    private static Map<String, Map<String, String>> index(Path csv) throws IOException {
        Map<String, Map<String, String>> m = new LinkedHashMap<>();
        try {
            for (Map<String, String> r : Csv.parse(Files.readString(csv))) {
                m.put(key(r), r);
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            throw CheckpointException.of(csv, "not a frontier.csv: " + e.getMessage());
        }
        return m;
    }

    private static double parse(String s) {
        return s == null || s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }
}
