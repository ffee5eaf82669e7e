package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.eval.Suite;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The paper-style table: one row per compressor (dense first), one column per backbone × ratio × headline metric
 * (each task's headline, e.g. WikiText and C4 perplexity, plus DS-Avg when suite tasks ran; for the minis
 * {@code mini_ppl} and {@code mini_mc}). The best compressed value of each column is bold.
 */
public final class FrontierTable {
    /** A column: backbone, ratio, and what is shown. */
    record Column(String backbone, double ratio, String task, String label, boolean higherIsBetter) {}

    private FrontierTable() {}

    /** Headline columns of a result set: each task's headline metric, then DS-Avg if suite tasks ran. */
    public static List<String[]> headlineTasks(List<CellResult> results) {
        Map<String, String> h = new LinkedHashMap<>();
        results.forEach(r -> r.headlines().forEach(h::putIfAbsent));
        List<String[]> out = new ArrayList<>();
        h.forEach((t, m) -> out.add(new String[] {t, m}));
        if (h.keySet().stream().anyMatch(Suite.DS_AVG::contains)) {
            out.add(new String[] {"ds_avg", "acc"});
        }
        return out;
    }

    /** DS-Avg of a cell: the mean headline over the suite tasks it ran, or NaN. */
    public static double dsAvg(CellResult r) {
        double s = 0;
        int n = 0;
        for (String t : r.headlines().keySet()) {
            if (Suite.DS_AVG.contains(t)) {
                s += r.headline(t);
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    public static double value(CellResult r, String task) {
        return task.equals("ds_avg") ? dsAvg(r) : r.headline(task);
    }

    /** The direction the task declared for its metric (DS-Avg is an accuracy); true when no cell has the metric. */
    public static boolean higherIsBetter(List<CellResult> results, String task, String metric) {
        if (task.equals("ds_avg")) {
            return true;
        }
        for (CellResult r : results) {
            for (CellResult.Metric m : r.metrics()) {
                if (m.task().equals(task) && m.metric().equals(metric)) {
                    return m.higherIsBetter();
                }
            }
        }
        return true;
    }

    /** The markdown tables, one per backbone (a section each). */
    public static String markdown(RunSummary s) {
        StringBuilder sb = new StringBuilder();
        for (String b : s.backbones()) {
            sb.append("## ").append(b).append("\n\n").append(markdown(s, b)).append('\n');
        }
        return sb.toString();
    }

    /** The table of one backbone: rows compressors (dense first), columns ratio × headline metric. */
    static String markdown(RunSummary s, String b) {
        List<String[]> tasks = headlineTasks(s.results());
        List<Column> cols = new ArrayList<>();
        TreeSet<Double> ratios = new TreeSet<>();
        s.results().stream().filter(r -> r.cell().backbone().equals(b) && !r.cell().isDense()).forEach(r -> ratios.add(r.cell().ratio()));
        for (double ratio : ratios) {
            for (String[] t : tasks) {
                String label = Math.round(ratio * 100) + "% · " + (t[0].equals("ds_avg") ? "DS-Avg" : t[0] + " " + t[1]);
                cols.add(new Column(b, ratio, t[0], label, higherIsBetter(s.results(), t[0], t[1])));
            }
        }
        List<String> rows = new ArrayList<>();
        rows.add(Cell.DENSE);
        s.results().stream().filter(r -> r.cell().backbone().equals(b) && !r.cell().isDense()).map(s::label).distinct().forEach(rows::add);
        double[][] v = new double[rows.size()][cols.size()];
        for (int i = 0; i < rows.size(); i++) {
            for (int j = 0; j < cols.size(); j++) {
                v[i][j] = Double.NaN;
                Column c = cols.get(j);
                for (CellResult r : s.results()) {
                    if (r.cell().backbone().equals(b) && s.label(r).equals(rows.get(i))
                            && (r.cell().isDense() || r.cell().ratio() == c.ratio())) {
                        v[i][j] = value(r, c.task());
                    }
                }
            }
        }
        StringBuilder sb = new StringBuilder("| compressor |");
        cols.forEach(c -> sb.append(' ').append(c.label()).append(" |"));
        sb.append("\n| --- |");
        cols.forEach(c -> sb.append(" ---: |"));
        sb.append('\n');
        for (int i = 0; i < rows.size(); i++) {
            sb.append("| ").append(rows.get(i)).append(" |");
            for (int j = 0; j < cols.size(); j++) {
                boolean best = i > 0 && !Double.isNaN(v[i][j]);
                for (int k = 1; k < rows.size() && best; k++) {
                    if (!Double.isNaN(v[k][j]) && (cols.get(j).higherIsBetter() ? v[k][j] > v[i][j] : v[k][j] < v[i][j])) {
                        best = false;
                    }
                }
                String cell = format(v[i][j], cols.get(j));
                sb.append(' ').append(best ? "**" + cell + "**" : cell).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String format(double x, Column c) {
        if (Double.isNaN(x)) {
            return "—";
        }
        return c.higherIsBetter() ? String.format(Locale.ROOT, "%.1f", 100 * x) : String.format(Locale.ROOT, "%.2f", x);
    }
}
