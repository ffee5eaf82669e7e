package dev.moefrontier.harness.sweep;

import com.google.gson.JsonArray;
import dev.moefrontier.harness.compress.PlanFigures;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    /** The {@code frontier.cell_result} object stored in result.json. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        JsonObject c = new JsonObject();
        c.addProperty("backbone", cell.backbone());
        c.addProperty("compressor", cell.compressor());
        JsonObject opts = new JsonObject();
        cell.options().forEach(opts::addProperty);
        c.add("options", opts);
        c.addProperty("ratio", cell.ratio());
        c.addProperty("id", cell.id());
        o.add("cell", c);
        o.addProperty("expert_ratio", expertRatio);
        o.addProperty("compression", compression);
        JsonObject inf = new JsonObject();
        info.forEach(inf::addProperty);
        o.add("info", inf);
        o.add("figures", figures.toJson());
        JsonArray ms = new JsonArray();
        for (Metric m : metrics) {
            JsonObject mo = new JsonObject();
            mo.addProperty("task", m.task());
            mo.addProperty("metric", m.metric());
            mo.addProperty("value", m.value());
            mo.addProperty("stderr", m.stderr());
            mo.addProperty("n", m.n());
            mo.addProperty("higher_is_better", m.higherIsBetter());
            ms.add(mo);
        }
        o.add("metrics", ms);
        JsonObject h = new JsonObject();
        headlines.forEach(h::addProperty);
        o.add("headlines", h);
        o.addProperty("seed", seed);
        o.addProperty("calibration", calibration);
        o.addProperty("elapsed_s", elapsed);
        return o;
    }

    public static CellResult fromJson(JsonObject o) {
        JsonObject c = o.getAsJsonObject("cell");
        Map<String, String> opts = new LinkedHashMap<>();
        c.getAsJsonObject("options").entrySet().forEach(e -> opts.put(e.getKey(), e.getValue().getAsString()));
        Cell cell = new Cell(c.get("backbone").getAsString(), c.get("compressor").getAsString(), opts, c.get("ratio").getAsDouble());
        Map<String, String> info = new LinkedHashMap<>();
        o.getAsJsonObject("info").entrySet().forEach(e -> info.put(e.getKey(), e.getValue().getAsString()));
        List<Metric> metrics = new ArrayList<>();
        for (JsonElement e : o.getAsJsonArray("metrics")) {
            JsonObject m = e.getAsJsonObject();
            metrics.add(new Metric(m.get("task").getAsString(), m.get("metric").getAsString(), number(m.get("value")), number(m.get("stderr")),
                    m.get("n").getAsInt(), m.get("higher_is_better").getAsBoolean()));
        }
        Map<String, String> headlines = new LinkedHashMap<>();
        o.getAsJsonObject("headlines").entrySet().forEach(e -> headlines.put(e.getKey(), e.getValue().getAsString()));
        return new CellResult(cell, o.get("expert_ratio").getAsDouble(), o.get("compression").getAsDouble(), info,
                PlanFigures.fromJson(o.get("figures")), List.copyOf(metrics),
                headlines, o.get("seed").getAsLong(), o.get("calibration").getAsString(), o.get("elapsed_s").getAsDouble());
    }

    private static double number(JsonElement e) {
        return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
    }
}
