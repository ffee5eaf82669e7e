package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.util.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one cell produced, as read back from its {@code result.json}: the cell, how much it removed, and every metric
 * of every task and subtask.
 *
 * @param cell the cell
 * @param expertRatio achieved fraction of routed experts removed
 * @param compression achieved fraction of MoE-block parameters removed (the frontier's x-axis)
 * @param info the plan's text notes (e.g. a hybrid's stage-1 compressor)
 * @param figures the plan's reported figures (e.g. a hybrid's stage ratios r1, r2)
 * @param metrics one row per (task, metric)
 * @param headlines each top-level task's headline metric (ppl, acc or acc_norm as methods.md §6 names it)
 * @param seed compressor seed
 * @param calibration calibration description
 * @param elapsed seconds for planning and evaluation
 */
public record CellResult(Cell cell, double expertRatio, double compression, Map<String, String> info, PlanFigures figures,
        List<Metric> metrics,
        Map<String, String> headlines, long seed, String calibration, double elapsed) {

    /** One metric of one task (or subtask). */
    public record Metric(String task, String metric, double value, double stderr, int n, boolean higherIsBetter) {}

    /** The headline value of a top-level task, or NaN. */
    public double headline(String task) {
        String m = headlines.get(task);
        return m == null ? Double.NaN : value(task, m);
    }

    /** The value of a metric, or NaN. */
    public double value(String task, String metric) {
        for (Metric m : metrics) {
            if (m.task().equals(task) && m.metric().equals(metric)) {
                return m.value();
            }
        }
        return Double.NaN;
    }

    /**
     * The {@code frontier.cell_result} object of result.json, key by key (bound by {@link Json}).
     *
     * @param cell the cell and its folder name
     * @param expertRatio achieved fraction of routed experts removed
     * @param compression achieved fraction of MoE-block parameters removed
     * @param info the plan's text notes
     * @param figures the plan's figures
     * @param metrics one row per (task, metric); NaN where a metric has no standard error
     * @param headlines each top-level task's headline metric
     * @param seed compressor seed
     * @param calibration calibration description
     * @param elapsedS seconds for planning and evaluation
     */
    public record Document(CellFields cell, double expertRatio, double compression, Map<String, String> info,
            PlanFigures figures, List<Metric> metrics, Map<String, String> headlines, long seed, String calibration,
            double elapsedS) {}

    /** A cell as stored: its coordinates and folder name. */
    public record CellFields(String backbone, String compressor, Map<String, String> options, double ratio, String id) {}

    /** The stored document. */
    public Document document() {
        return new Document(new CellFields(cell.backbone(), cell.compressor(), cell.options(), cell.ratio(), cell.id()),
                expertRatio, compression, info, figures, metrics, headlines, seed, calibration, elapsed);
    }

    /** The result of a stored document. */
    public static CellResult of(Document d) {
        CellFields c = java.util.Objects.requireNonNull(d.cell(), "no 'cell'");
        Cell cell = new Cell(c.backbone(), c.compressor(), c.options() == null ? Map.of() : c.options(), c.ratio());
        List<Metric> metrics = new ArrayList<>();
        for (Metric m : java.util.Objects.requireNonNull(d.metrics(), "no 'metrics'")) {
            metrics.add(new Metric(java.util.Objects.requireNonNull(m.task(), "a metric without 'task'"),
                    java.util.Objects.requireNonNull(m.metric(), "a metric without 'metric'"), m.value(), m.stderr(), m.n(),
                    m.higherIsBetter()));
        }
        return new CellResult(cell, d.expertRatio(), d.compression(), d.info() == null ? Map.of() : d.info(),
                d.figures() == null ? PlanFigures.NONE : d.figures(), List.copyOf(metrics),
                d.headlines() == null ? Map.of() : d.headlines(), d.seed(), d.calibration(), d.elapsedS());
    }
}
