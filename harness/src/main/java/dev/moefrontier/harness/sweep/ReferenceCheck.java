package dev.moefrontier.harness.sweep;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.util.Csv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Regression check of a run's {@code frontier.csv} against a reference folder ({@code frontier.csv} +
 * {@code tolerances.json}). A value passes when |run − reference| ≤ max(abs, rel · |reference|) with the tolerances of
 * its metric ({@code metrics.<name>}, else {@code default}); the plan's achieved compression must match to
 * {@code compression_abs}. Reference rows missing from the run fail; rows only in the run are listed, not failed.
 */
public final class ReferenceCheck {
    /** Tolerance band of one metric. */
    public record Band(double abs, double rel) {
        boolean holds(double ref, double got) {
            if (Double.isNaN(ref) || Double.isNaN(got)) {
                return Double.isNaN(ref) == Double.isNaN(got);
            }
            return Math.abs(got - ref) <= Math.max(abs, rel * Math.abs(ref)) + 1e-12;
        }
    }

    /** One difference. */
    public record Finding(String key, String kind, double reference, double run, Band band) {
        public boolean fails() {
            return !kind.equals("extra");
        }
    }

    private ReferenceCheck() {}

    static String key(Map<String, String> r) {
        return r.get("backbone") + " | " + r.get("compressor") + (r.get("options").isEmpty() ? "" : " [" + r.get("options") + "]") + " | r="
                + r.get("ratio") + " | " + r.get("task") + " " + r.get("metric");
    }

    /** Compares; returns every finding (empty: the run matches the reference). */
    public static List<Finding> check(Path runCsv, Path referenceDir) throws IOException {
        Path refCsv = referenceDir.resolve("frontier.csv");
        Path tolFile = referenceDir.resolve("tolerances.json");
        for (Path p : List.of(runCsv, refCsv, tolFile)) {
            if (!Files.isRegularFile(p)) {
                throw CheckpointException.of(p, "no such file");
            }
        }
        JsonObject tol;
        try {
            tol = JsonParser.parseString(Files.readString(tolFile)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw CheckpointException.of(tolFile, "not valid JSON: " + e.getMessage());
        }
        Band dflt = band(tol.getAsJsonObject("default"));
        Map<String, Band> bands = new LinkedHashMap<>();
        if (tol.has("metrics")) {
            tol.getAsJsonObject("metrics").entrySet().forEach(e -> bands.put(e.getKey(), band(e.getValue().getAsJsonObject())));
        }
        double compressionAbs = tol.has("compression_abs") ? tol.get("compression_abs").getAsDouble() : 1e-6;
        Map<String, Map<String, String>> run = index(runCsv);
        Map<String, Map<String, String>> ref = index(refCsv);
        List<Finding> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> e : ref.entrySet()) {
            Map<String, String> got = run.get(e.getKey());
            double rv = parse(e.getValue().get("value"));
            if (got == null) {
                out.add(new Finding(e.getKey(), "missing", rv, Double.NaN, null));
                continue;
            }
            Band b = bands.getOrDefault(e.getValue().get("metric"), dflt);
            double gv = parse(got.get("value"));
            if (!b.holds(rv, gv)) {
                boolean higher = !e.getValue().get("metric").equals("ppl") && !e.getValue().get("metric").equals("nll");
                out.add(new Finding(e.getKey(), (gv > rv) == higher ? "better" : "worse", rv, gv, b));
            }
            double rc = parse(e.getValue().get("compression"));
            double gc = parse(got.get("compression"));
            if (!new Band(compressionAbs, 0).holds(rc, gc)) {
                out.add(new Finding(e.getKey() + " (compression)", "plan changed", rc, gc, new Band(compressionAbs, 0)));
            }
        }
        for (String k : run.keySet()) {
            if (!ref.containsKey(k)) {
                out.add(new Finding(k, "extra", Double.NaN, parse(run.get(k).get("value")), null));
            }
        }
        return out;
    }

    /** A readable report of the findings. */
    public static String report(List<Finding> findings, int checked) {
        long failing = findings.stream().filter(Finding::fails).count();
        StringBuilder sb = new StringBuilder();
        for (Finding f : findings) {
            String band = f.band() == null ? "" : String.format(Locale.ROOT, "  (tolerance abs %s, rel %s)", f.band().abs(), f.band().rel());
            sb.append(String.format(Locale.ROOT, "%-12s %s: reference %s, run %s%s%n", f.kind().toUpperCase(Locale.ROOT), f.key(),
                    fmt(f.reference()), fmt(f.run()), band));
        }
        sb.append(failing == 0 ? "OK: " + checked + " reference values within tolerance" : "REGRESSION: " + failing + " of " + checked
                + " reference values out of tolerance or missing");
        return sb.toString();
    }

    static String fmt(double x) {
        return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.6g", x);
    }

    /** Rows of a reference (for counting). */
    public static int rows(Path csv) throws IOException {
        return index(csv).size();
    }

    private static Band band(JsonObject o) {
        if (o == null) {
            return new Band(0, 0);
        }
        return new Band(o.has("abs") ? o.get("abs").getAsDouble() : 0, o.has("rel") ? o.get("rel").getAsDouble() : 0);
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
