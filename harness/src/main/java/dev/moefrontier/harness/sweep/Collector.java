package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.spi.GroupAnalyzer;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.spi.ReportRenderer;
import dev.moefrontier.harness.spi.RunTable;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Csv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Merges a run folder's cell results and analyses into its outputs: {@code frontier.csv} (long format, one row per
 * cell × task × metric), {@code plans.jsonl} (every plan's decisions, see {@link PlanRecord}), {@code environment.json} (the numeric
 * environment), {@code table.md}, {@code hodge_balance.csv} + {@code hodge_balance.md},
 * {@code harmonic_energy.csv}, {@code scores.csv}, the plots of every registered {@link ReportRenderer} and
 * {@code report.html}. Collecting is idempotent: it only reads cell files and rewrites the outputs.
 */
public final class Collector {
    /** The frontier.csv header. */
    public static final String HEADER = "backbone,compressor,options,ratio,expert_ratio,r1,r2,compression,task,metric,value,stderr,n,seed,"
            + "calibration,elapsed_s,higher_is_better";

    private Collector() {}

    /** Collects {@code run} (named {@code name}); returns the summary. */
    public static RunSummary collect(RunDirectory run, String name, Consumer<String> log) throws IOException {
        List<CellResult> results = run.results();
        Path root = run.root();
        StringBuilder csv = new StringBuilder(HEADER).append('\n');
        for (CellResult r : results) {
            for (CellResult.Metric m : r.metrics()) {
                csv.append(row(r, m.task(), m.metric(), m.value(), m.stderr(), m.n(), m.higherIsBetter()));
            }
            double ds = FrontierTable.dsAvg(r);
            if (!Double.isNaN(ds)) {
                csv.append(row(r, "ds_avg", "acc", ds, Double.NaN, r.headlines().size(), true));
            }
        }
        AtomicFiles.writeString(root.resolve("frontier.csv"), csv);
        AtomicFiles.writeString(root.resolve("plans.jsonl"), plans(run, results));
        JsonObject env = ReferenceCheck.runEnvironment(root);
        if (env != null) {
            run.writeJson(root.resolve("environment.json"), env);
        }
        // Every CSV an analyzer wrote per backbone, concatenated into the root under its own name.
        Map<String, List<Map<String, String>>> tables = new java.util.TreeMap<>();
        for (String table : analysisTables(root)) {
            tables.put(table, concat(root, table));
        }
        concatScores(run, results);
        RunSummary summary = new RunSummary(name, results, tables);
        Map<String, String> summaries = new java.util.LinkedHashMap<>();
        List<RunTable> findings = new ArrayList<>();
        for (GroupAnalyzer a : Registry.load(GroupAnalyzer.class, "analyzer").all()) {
            try {
                summaries.putAll(a.summaries(tables));
                findings.addAll(a.findings(summary));
            } catch (RuntimeException e) {
                log.accept("summary of analyzer " + a.name() + " failed: " + e.getMessage());
            }
        }
        StringBuilder md = new StringBuilder("# " + name + "\n\n");
        for (RunTable f : findings) {
            StringBuilder fcsv = new StringBuilder(Csv.row(f.header().toArray()));
            f.rows().forEach(r -> fcsv.append(Csv.row(r.toArray())));
            AtomicFiles.writeString(root.resolve(f.file()), fcsv);
            md.append(f.markdown()).append('\n');
        }
        AtomicFiles.writeString(root.resolve("table.md"), md.append(findings.isEmpty() ? "" : "## Frontier table\n\n")
                .append("Headline metrics per backbone and ratio (accuracies in %, best compressed value in bold).\n\n")
                .append(FrontierTable.markdown(summary)));
        for (Map.Entry<String, String> e : summaries.entrySet()) {
            AtomicFiles.writeString(root.resolve(e.getKey()), e.getValue());
        }
        List<ReportRenderer.Figure> figures = new ArrayList<>();
        Path plots = root.resolve("plots");
        for (ReportRenderer r : Registry.load(ReportRenderer.class, "renderer").all()) {
            Files.createDirectories(plots);
            try {
                figures.addAll(r.render(summary, plots));
            } catch (IOException | RuntimeException e) {
                log.accept("renderer " + r.name() + " failed: " + e.getMessage());
            }
        }
        List<CellError> errors = run.errors();
        AtomicFiles.writeString(root.resolve("report.html"), HtmlReport.render(summary, findings, figures, summaries, errors, root));
        return summary;
    }

    private static String row(CellResult r, String task, String metric, double value, double stderr, int n, boolean higherIsBetter) {
        Cell c = r.cell();
        return Csv.row(c.backbone(), c.compressor(), c.optionString(), num(c.ratio()), num(r.expertRatio()), figure(r, PlanFigures.EXPERT_STAGE_RATIO),
                figure(r, PlanFigures.WEIGHT_STAGE_RATIO), num(r.compression()), task, metric, num(value), num(stderr), n, r.seed(), r.calibration(),
                String.format(Locale.ROOT, "%.3f", r.elapsed()), higherIsBetter);
    }

    /** {@code plans.jsonl}: the decisions of every compressed cell's plan (for the plan-aware {@link ReferenceCheck}). */
    static String plans(RunDirectory run, List<CellResult> results) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (CellResult r : results) {
            Path f = run.cellDir(r.cell()).resolve("pruning_plan.json");
            if (r.cell().isDense() || !Files.isRegularFile(f)) {
                continue;
            }
            try {
                PruningPlan p = PruningPlan.read(f);
                sb.append(PlanRecord.of(r.cell(), p).toJsonLine()).append('\n');
            } catch (RuntimeException e) {
                throw CheckpointException.of(f, "not a pruning plan: " + e.getMessage());
            }
        }
        return sb.toString();
    }

    private static String figure(CellResult r, String name) {
        return r.figures().number(name).isPresent() ? num(r.figures().number(name).getAsDouble()) : "";
    }

    static String num(double x) {
        return Double.isNaN(x) ? "" : Double.toString(x);
    }

    /** The names of the CSV files under analysis/{backbone}/. */
    private static java.util.SortedSet<String> analysisTables(Path root) throws IOException {
        java.util.SortedSet<String> names = new java.util.TreeSet<>();
        Path analysis = root.resolve("analysis");
        if (Files.isDirectory(analysis)) {
            try (Stream<Path> s = Files.walk(analysis, 2)) {
                s.filter(p -> p.getFileName().toString().endsWith(".csv") && Files.isRegularFile(p))
                        .forEach(p -> names.add(p.getFileName().toString()));
            }
        }
        return names;
    }

    /** Concatenates analysis/{backbone}/{name} files (one header) into the root; returns the rows. */
    private static List<Map<String, String>> concat(Path root, String name) throws IOException {
        Path analysis = root.resolve("analysis");
        if (!Files.isDirectory(analysis)) {
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(analysis, 2)) {
            files = s.filter(p -> p.getFileName().toString().equals(name)).sorted().toList();
        }
        if (files.isEmpty()) {
            return List.of();
        }
        StringBuilder sb = new StringBuilder();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            if (sb.length() == 0 && !lines.isEmpty()) {
                sb.append(lines.get(0)).append('\n');
            }
            lines.stream().skip(1).filter(l -> !l.isBlank()).forEach(l -> sb.append(l).append('\n'));
        }
        AtomicFiles.writeString(root.resolve(name), sb);
        return Csv.parse(sb.toString());
    }

    /** Per-expert scores of every scoring compressor, once per (backbone, compressor, options). */
    private static void concatScores(RunDirectory run, List<CellResult> results) throws IOException {
        StringBuilder sb = new StringBuilder();
        Set<String> seen = new HashSet<>();
        for (CellResult r : results) {
            Path f = run.cellDir(r.cell()).resolve("scores.csv");
            String key = r.cell().backbone() + "|" + r.cell().compressor() + "|" + r.cell().optionString();
            if (Files.isRegularFile(f) && seen.add(key)) {
                List<String> lines = Files.readAllLines(f);
                if (sb.length() == 0) {
                    sb.append(lines.get(0)).append('\n');
                }
                lines.stream().skip(1).forEach(l -> sb.append(l).append('\n'));
            }
        }
        if (sb.length() > 0) {
            AtomicFiles.writeString(run.root().resolve("scores.csv"), sb);
        }
    }

    /** The Hodge-mass balance table: layer-mean rows, one per backbone × compressor × ratio. */
}
