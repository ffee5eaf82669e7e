package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.spi.GroupAnalyzer;
import dev.moefrontier.harness.spi.RunTable;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.CellResult;
import dev.moefrontier.harness.sweep.RunSummary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The HodgeCover paper's claims C1–C7 (methods.md §9) checked on a collected run, per backbone and per option set of
 * {@code hodgecover} in the run: {@code claims.csv}, shown first in the report. A comparison of two cells decides only
 * beyond noise: the gap must exceed the standard error of the difference, √(se_a² + se_b²); within it the two are
 * tied. A claim holds only when every comparison it makes goes its way beyond noise, fails when one goes against it
 * beyond noise, and is "not resolved" otherwise; "not measured" names what the run lacks.
 */
public final class PaperClaims implements GroupAnalyzer {
    public static final String FILE = "claims.csv";
    static final String SUBJECT = "hodgecover";
    static final String HYBRID_SUBJECT = "hodgecover+wanda";
    /** The expert-reduction baselines of C2 (the best of those present is the bar). */
    static final List<String> C2_BASELINES = List.of("reap", "ream");
    static final String TRIPLET_PENALTY = "hodgecover-triplet-penalty";
    static final String GREEDY_BARRIER = "greedy-barrier";
    static final String NO_TRIANGLE = "hodgecover-no-triangle";
    static final String TRIPLET_HYPERGRAPH = "hodgecover-triplet-hypergraph";
    /** C1's range of the harmonic energy fraction. */
    static final double HARMONIC_LOW = 0.29;
    static final double HARMONIC_HIGH = 0.62;
    /** A cell is "at 33%" (or 66%) when its ratio is within this of 1/3 (2/3). */
    static final double RATIO_SLACK = 0.01;

    public static final List<String> HEADER = List.of("backbone", "hodgecover_options", "claim", "verdict", "evidence");

    enum Verdict {
        HOLDS("holds"), FAILS("fails"), NOT_RESOLVED("not resolved"), NOT_MEASURED("not measured");

        final String text;

        Verdict(String text) {
            this.text = text;
        }

        /** Several comparisons together: any failure fails, else any tie leaves it unresolved. */
        static Verdict all(List<Verdict> parts) {
            if (parts.isEmpty()) {
                return NOT_MEASURED;
            }
            if (parts.contains(FAILS)) {
                return FAILS;
            }
            if (parts.contains(NOT_MEASURED)) {
                return NOT_MEASURED;
            }
            return parts.contains(NOT_RESOLVED) ? NOT_RESOLVED : HOLDS;
        }
    }

    /** A value with its standard error (NaN when the metric has none) and its direction. */
    record Measure(double value, double se, boolean higherIsBetter) {
        /** +1 when this is better than {@code o} beyond noise, -1 when worse beyond noise, 0 when tied. */
        int against(Measure o) {
            double d = higherIsBetter ? value - o.value : o.value - value;
            double noise = Math.sqrt(sq(se) + sq(o.se));
            return d > noise ? 1 : d < -noise ? -1 : 0;
        }

        String text() {
            return Double.isNaN(se) ? fmt(value) : fmt(value) + " ± " + fmt(se);
        }

        private static double sq(double x) {
            return Double.isNaN(x) ? 0 : x * x;
        }
    }

    @Override
    public String name() {
        return "paper-claims";
    }

    @Override
    public String description() {
        return "claims.csv: the HodgeCover paper's claims C1-C7 per backbone (methods.md §9)";
    }

    @Override
    public void analyze(String backbone, CompressionContext ctx, Map<Cell, PruningPlan> plans, Path dir) {
        // Everything it needs is in the collected run (findings).
    }

    @Override
    public List<RunTable> findings(RunSummary run) {
        List<List<String>> rows = rows(run);
        return rows.isEmpty() ? List.of() : List.of(new RunTable(FILE, "Paper claims (methods.md §9)",
                "Each claim of the HodgeCover paper on each backbone, for every option set of hodgecover in the run. Comparisons"
                        + " decide only beyond the standard error of the difference; \"not resolved\" means a tie within it.",
                HEADER, rows));
    }

    /** The claims rows of a run: none when it has no hodgecover cell. */
    static List<List<String>> rows(RunSummary run) {
        List<List<String>> rows = new ArrayList<>();
        for (String backbone : run.backbones()) {
            List<CellResult> cells = run.results().stream().filter(r -> r.cell().backbone().equals(backbone)).toList();
            Set<String> subjects = new java.util.TreeSet<>(); // the default options (empty) first
            cells.stream().filter(r -> r.cell().compressor().equals(SUBJECT)).forEach(r -> subjects.add(options(r)));
            for (String opts : subjects) {
                Check c = new Check(run, backbone, cells, opts);
                add(rows, backbone, opts, "C1", c.c1());
                add(rows, backbone, opts, "C2", c.c2());
                add(rows, backbone, opts, "C3", c.c3());
                add(rows, backbone, opts, "C4", c.c4());
                add(rows, backbone, opts, "C5", c.c5());
                add(rows, backbone, opts, "C6", c.c6());
                add(rows, backbone, opts, "C7", new Result(Verdict.NOT_MEASURED,
                        "serving throughput is not measured per cell (frontier bench forward measures a model's)"));
            }
        }
        return rows;
    }

    private static void add(List<List<String>> rows, String backbone, String opts, String claim, Result r) {
        rows.add(List.of(backbone, opts, claim, r.verdict.text, r.evidence));
    }

    record Result(Verdict verdict, String evidence) {}

    /** A cell's options without a hybrid's per-ratio r1 (as {@link RunSummary#label} does). */
    static String options(CellResult r) {
        return r.cell().options().entrySet().stream().filter(e -> !e.getKey().equals("r1")).map(e -> e.getKey() + "=" + e.getValue())
                .reduce((a, b) -> a + ";" + b).orElse("");
    }

    /** The claims of one backbone for one option set of hodgecover. */
    private static final class Check {
        private final RunSummary run;
        private final String backbone;
        private final List<CellResult> cells;
        private final String opts;
        private final String pplTask;
        private final String accTask;

        Check(RunSummary run, String backbone, List<CellResult> cells, String opts) {
            this.run = run;
            this.backbone = backbone;
            this.cells = cells;
            this.opts = opts;
            String ppl = null;
            String acc = null;
            boolean ds = false;
            for (CellResult r : cells) {
                for (Map.Entry<String, String> h : r.headlines().entrySet()) {
                    if (ppl == null && h.getValue().equals("ppl")) {
                        ppl = h.getKey();
                    }
                    if (acc == null && (h.getValue().equals("acc") || h.getValue().equals("acc_norm"))) {
                        acc = h.getKey();
                    }
                    ds |= Suite.DS_AVG.contains(h.getKey());
                }
            }
            this.pplTask = ppl;
            this.accTask = ds ? "ds_avg" : acc;
        }

        /** The cell of {@code compressor} at ratio ≈ {@code target}: same options as the subject when there is one, else any. */
        Optional<CellResult> cell(String compressor, double target) {
            List<CellResult> at = cells.stream().filter(r -> r.cell().compressor().equals(compressor)
                    && Math.abs(r.cell().ratio() - target) <= RATIO_SLACK).toList();
            return at.stream().filter(r -> options(r).equals(opts)).findFirst().or(() -> at.stream().findFirst());
        }

        Measure measure(CellResult r, String task) {
            if (task.equals("ds_avg")) {
                double s = 0;
                double v = 0;
                int n = 0;
                for (String t : r.headlines().keySet()) {
                    if (Suite.DS_AVG.contains(t)) {
                        v += r.headline(t);
                        double se = stderr(r, t, r.headlines().get(t));
                        s += Double.isNaN(se) ? 0 : se * se;
                        n++;
                    }
                }
                return new Measure(v / n, Math.sqrt(s) / n, true); // independent tasks: se of the mean
            }
            String metric = r.headlines().get(task);
            boolean higher = r.metrics().stream().filter(m -> m.task().equals(task) && m.metric().equals(metric)).findFirst()
                    .map(CellResult.Metric::higherIsBetter).orElse(true);
            return new Measure(r.value(task, metric), stderr(r, task, metric), higher);
        }

        private static double stderr(CellResult r, String task, String metric) {
            return r.metrics().stream().filter(m -> m.task().equals(task) && m.metric().equals(metric)).findFirst()
                    .map(CellResult.Metric::stderr).orElse(Double.NaN);
        }

        List<String> tasks() {
            List<String> t = new ArrayList<>();
            if (pplTask != null) {
                t.add(pplTask);
            }
            if (accTask != null) {
                t.add(accTask);
            }
            return t;
        }

        /** C1: the harmonic energy fraction of every layer lies in [0.29, 0.62]. */
        Result c1() {
            List<Map<String, String>> layers = run.table("harmonic_energy.csv").stream().filter(r -> backbone.equals(r.get("backbone"))).toList();
            if (layers.isEmpty()) {
                return new Result(Verdict.NOT_MEASURED, "no harmonic_energy.csv rows for this backbone");
            }
            double[] f = layers.stream().mapToDouble(r -> Double.parseDouble(r.get("harmonic_energy_fraction"))).toArray();
            long outside = Arrays.stream(f).filter(x -> !(x >= HARMONIC_LOW && x <= HARMONIC_HIGH)).count();
            return new Result(outside == 0 ? Verdict.HOLDS : Verdict.FAILS, String.format(Locale.ROOT,
                    "harmonic energy fraction %s to %s over %d layers; %d outside [%.2f, %.2f]", fmt(Arrays.stream(f).min().orElse(0)),
                    fmt(Arrays.stream(f).max().orElse(0)), f.length, outside, HARMONIC_LOW, HARMONIC_HIGH));
        }

        /** C2: within one standard error of the best of REAP and REAM at 33%, not worse than them at 66% (both metrics). */
        Result c2() {
            List<Verdict> parts = new ArrayList<>();
            List<String> ev = new ArrayList<>();
            for (double target : new double[] {1 / 3.0, 2 / 3.0}) {
                boolean at33 = target < 0.5;
                Optional<CellResult> hc = cell(SUBJECT, target);
                List<CellResult> base = C2_BASELINES.stream().map(b -> cell(b, target)).flatMap(Optional::stream).toList();
                if (hc.isEmpty() || base.isEmpty()) {
                    ev.add((at33 ? "33%" : "66%") + ": " + (hc.isEmpty() ? "no hodgecover cell" : "no REAP or REAM cell"));
                    parts.add(Verdict.NOT_MEASURED);
                    continue;
                }
                for (String task : tasks()) {
                    Measure h = measure(hc.get(), task);
                    CellResult best = base.get(0);
                    for (CellResult b : base) {
                        if (better(measure(b, task), measure(best, task))) {
                            best = b;
                        }
                    }
                    Measure m = measure(best, task);
                    int cmp = h.against(m);
                    Verdict v = at33 ? (cmp < 0 ? Verdict.FAILS : Verdict.HOLDS)
                            : (cmp > 0 ? Verdict.HOLDS : cmp < 0 ? Verdict.FAILS : Verdict.NOT_RESOLVED);
                    parts.add(v);
                    ev.add(String.format(Locale.ROOT, "%s %s: hodgecover %s vs %s %s", pct(hc.get().cell().ratio()), task, h.text(), best.cell().compressor(),
                            m.text()));
                }
            }
            return new Result(Verdict.all(parts), String.join("; ", ev));
        }

        /** C3: HodgeCover+Wanda has the lowest perplexity of all X+Wanda hybrids at every ratio, and at 66% the best accuracy. */
        Result c3() {
            List<CellResult> subject = cells.stream().filter(r -> r.cell().compressor().equals(HYBRID_SUBJECT)).toList();
            if (subject.isEmpty()) {
                return new Result(Verdict.NOT_MEASURED, "no hodgecover+wanda cell");
            }
            List<Verdict> parts = new ArrayList<>();
            List<String> ev = new ArrayList<>();
            Set<Double> ratios = new java.util.TreeSet<>();
            subject.forEach(r -> ratios.add(r.cell().ratio()));
            for (double ratio : ratios) {
                CellResult s = cell(HYBRID_SUBJECT, ratio).orElseThrow();
                List<CellResult> others = cells.stream().filter(r -> !r.cell().compressor().equals(HYBRID_SUBJECT)
                        && RunSummary.level(r) == Compressor.Level.HYBRID && Math.abs(r.cell().ratio() - ratio) < 1e-9).toList();
                boolean at66 = Math.abs(ratio - 2 / 3.0) <= RATIO_SLACK; // accuracy is claimed at 66% only
                for (String task : tasks().stream().filter(t -> at66 || !t.equals(accTask)).toList()) {
                    Comparison c = versusAll(s, others, task, r -> true);
                    parts.add(c.verdict);
                    ev.add(pct(ratio) + " " + task + ": " + c.evidence);
                }
            }
            if (parts.isEmpty()) {
                return new Result(Verdict.NOT_MEASURED, "no other X+Wanda hybrid at hodgecover+wanda's ratios");
            }
            return new Result(Verdict.all(parts), String.join("; ", ev));
        }

        /** The subject against every other cell: holds when better than each beyond noise. */
        Comparison versusAll(CellResult s, List<CellResult> others, String task, Predicate<CellResult> keep) {
            Measure h = measure(s, task);
            List<Verdict> parts = new ArrayList<>();
            List<String> ev = new ArrayList<>();
            for (CellResult o : others) {
                if (!keep.test(o)) {
                    continue;
                }
                Measure m = measure(o, task);
                int cmp = h.against(m);
                parts.add(cmp > 0 ? Verdict.HOLDS : cmp < 0 ? Verdict.FAILS : Verdict.NOT_RESOLVED);
                ev.add(o.cell().compressor() + " " + m.text());
            }
            if (parts.isEmpty()) {
                return new Comparison(Verdict.NOT_MEASURED, "no other hybrid");
            }
            return new Comparison(Verdict.all(parts), s.cell().compressor() + " " + h.text() + " vs " + String.join(", ", ev));
        }

        record Comparison(Verdict verdict, String evidence) {}

        /** Layer-mean Hodge-mass balance of a compressor's kept set at ratio ≈ target, by options. */
        Map<String, Double> balances(double target) {
            Map<String, Double> out = new LinkedHashMap<>();
            for (Map<String, String> r : run.table("hodge_balance.csv")) {
                if (backbone.equals(r.get("backbone")) && "mean".equals(r.get("layer"))
                        && Math.abs(Double.parseDouble(r.get("ratio")) - target) <= RATIO_SLACK) {
                    String c = r.get("compressor");
                    String o = r.getOrDefault("options", "");
                    String key = c.equals(SUBJECT) ? (o.equals(opts) ? SUBJECT : null) : c;
                    if (key != null && !out.containsKey(key)) {
                        out.put(key, Double.parseDouble(r.get("balance")));
                    }
                }
            }
            return out;
        }

        /** C4: at 66% HodgeCover's kept sets have the highest balance of all expert compressors. */
        Result c4() {
            Map<String, Double> bal = expertOnly(balances(2 / 3.0));
            Double h = bal.remove(SUBJECT);
            if (h == null || bal.isEmpty()) {
                return new Result(Verdict.NOT_MEASURED, "no Hodge-mass balance of hodgecover and another expert compressor at 66%");
            }
            Map.Entry<String, Double> best = bal.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
            Verdict v = h > best.getValue() ? Verdict.HOLDS : h < best.getValue() ? Verdict.FAILS : Verdict.NOT_RESOLVED;
            return new Result(v, String.format(Locale.ROOT, "balance at 66%%: hodgecover %s, best other %s %s (of %d)", fmt(h), best.getKey(),
                    fmt(best.getValue()), bal.size()));
        }

        private static Map<String, Double> expertOnly(Map<String, Double> m) {
            Map<String, Double> out = new LinkedHashMap<>();
            m.forEach((c, v) -> {
                if (RunSummary.level(c) == Compressor.Level.EXPERT && !Double.isNaN(v)) {
                    out.put(c, v);
                }
            });
            return out;
        }

        /** C5: at 66% (accuracy) HodgeCover > triplet-penalty ~ greedy-barrier > no-triangle > triplet-hypergraph. */
        Result c5() {
            double r = 2 / 3.0;
            Map<String, Optional<CellResult>> c = new LinkedHashMap<>();
            for (String n : List.of(SUBJECT, TRIPLET_PENALTY, GREEDY_BARRIER, NO_TRIANGLE, TRIPLET_HYPERGRAPH)) {
                c.put(n, cell(n, r));
            }
            List<String> missing = c.entrySet().stream().filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
            if (accTask == null || !missing.isEmpty()) {
                return new Result(Verdict.NOT_MEASURED, accTask == null ? "no accuracy task" : "no cell at 66% of " + String.join(", ", missing));
            }
            Map<String, Measure> m = new LinkedHashMap<>();
            c.forEach((n, cell) -> m.put(n, measure(cell.orElseThrow(), accTask)));
            List<Verdict> parts = new ArrayList<>();
            parts.add(order(m.get(SUBJECT), m.get(TRIPLET_PENALTY)));
            parts.add(order(m.get(SUBJECT), m.get(GREEDY_BARRIER)));
            parts.add(m.get(TRIPLET_PENALTY).against(m.get(GREEDY_BARRIER)) == 0 ? Verdict.HOLDS : Verdict.FAILS); // "~"
            parts.add(order(m.get(TRIPLET_PENALTY), m.get(NO_TRIANGLE)));
            parts.add(order(m.get(GREEDY_BARRIER), m.get(NO_TRIANGLE)));
            parts.add(order(m.get(NO_TRIANGLE), m.get(TRIPLET_HYPERGRAPH)));
            List<String> ev = new ArrayList<>();
            m.forEach((n, x) -> ev.add(n + " " + x.text()));
            return new Result(Verdict.all(parts), "66% " + accTask + ": " + String.join(", ", ev));
        }

        private static Verdict order(Measure a, Measure b) {
            int cmp = a.against(b);
            return cmp > 0 ? Verdict.HOLDS : cmp < 0 ? Verdict.FAILS : Verdict.NOT_RESOLVED;
        }

        /** C6: at 66% the compressors' balance deficit relative to HodgeCover ranks like their accuracy deficit. */
        Result c6() {
            double r = 2 / 3.0;
            Map<String, Double> bal = expertOnly(balances(r));
            Double h = bal.remove(SUBJECT);
            Optional<CellResult> hc = cell(SUBJECT, r);
            if (h == null || hc.isEmpty() || accTask == null) {
                return new Result(Verdict.NOT_MEASURED, "no hodgecover balance and accuracy at 66%");
            }
            double hAcc = measure(hc.get(), accTask).value();
            List<double[]> pairs = new ArrayList<>();
            bal.forEach((c, b) -> cell(c, r).ifPresent(cell -> pairs.add(new double[] {h - b, hAcc - measure(cell, accTask).value()})));
            if (pairs.size() < 3) {
                return new Result(Verdict.NOT_MEASURED, "fewer than 3 other expert compressors with balance and accuracy at 66%");
            }
            double rho = spearman(pairs.stream().mapToDouble(p -> p[0]).toArray(), pairs.stream().mapToDouble(p -> p[1]).toArray());
            Verdict v = Double.isNaN(rho) ? Verdict.NOT_RESOLVED : rho > 0 ? Verdict.HOLDS : Verdict.FAILS;
            return new Result(v, String.format(Locale.ROOT, "Spearman %s over %d expert compressors at 66%% (%s)", fmt(rho), pairs.size(), accTask));
        }

        private static boolean better(Measure a, Measure b) {
            return a.higherIsBetter() ? a.value() > b.value() : a.value() < b.value();
        }
    }

    /** Spearman's rank correlation with average ranks for ties; NaN when either side is constant. */
    static double spearman(double[] x, double[] y) {
        double[] rx = ranks(x);
        double[] ry = ranks(y);
        double mx = Arrays.stream(rx).average().orElse(0);
        double my = Arrays.stream(ry).average().orElse(0);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
    }

    static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(v[a], v[b]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length;) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) {
                j++;
            }
            for (int k = i; k <= j; k++) {
                r[idx[k]] = (i + j) / 2.0 + 1;
            }
            i = j + 1;
        }
        return r;
    }

    static String pct(double ratio) {
        return Math.round(ratio * 100) + "%";
    }

    static String fmt(double x) {
        return String.format(Locale.ROOT, "%.4g", x);
    }
}
