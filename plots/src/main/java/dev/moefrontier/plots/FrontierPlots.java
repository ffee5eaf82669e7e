package dev.moefrontier.plots;

import dev.moefrontier.harness.sweep.CellResult;
import dev.moefrontier.harness.sweep.FrontierTable;
import dev.moefrontier.harness.spi.ReportRenderer.Figure;
import dev.moefrontier.harness.sweep.RunSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Compression frontiers: per backbone and headline metric, x = MoE parameters removed (%), y = the metric, one line
 * per compressor and the dense model as a dotted reference line (X+Wanda hybrids dashed, in X's colour). Expert compressors and the weight-level ones
 * (Wanda and the X+Wanda hybrids) get separate figures, as their points sit at different compressions.
 */
final class FrontierPlots {
    private FrontierPlots() {}

    static List<Figure> render(RunSummary s, Palette palette, Path dir) throws IOException {
        List<Figure> out = new ArrayList<>();
        for (String b : s.backbones()) {
            for (String[] t : FrontierTable.headlineTasks(s.results())) {
                for (boolean hybrid : new boolean[] {false, true}) {
                    Figure f = frontier(s, palette, dir, b, t[0], t[1], hybrid);
                    if (f != null) {
                        out.add(f);
                    }
                }
            }
        }
        return out;
    }

    /** Weight-level compressors (Wanda alone or after an expert stage) go on the hybrid axis. */
    static boolean weightLevel(CellResult r) {
        return RunSummary.level(r) != dev.moefrontier.harness.spi.Compressor.Level.EXPERT;
    }

    private static Figure frontier(RunSummary s, Palette palette, Path dir, String backbone, String task, String metric, boolean hybrid)
            throws IOException {
        List<CellResult> cells = s.results().stream()
                .filter(r -> r.cell().backbone().equals(backbone) && !r.cell().isDense() && weightLevel(r) == hybrid)
                .filter(r -> !Double.isNaN(FrontierTable.value(r, task))).toList();
        if (cells.isEmpty()) {
            return null;
        }
        String what = task.equals("ds_avg") ? "DS-Avg" : task + " " + metric;
        boolean acc = FrontierTable.higherIsBetter(s.results(), task, metric);
        String title = backbone + ": " + what + (hybrid ? " (Wanda and X+Wanda hybrids)" : " (expert pruning and merging)");
        XYChart chart = new XYChartBuilder().width(Figures.WIDTH).height(Figures.HEIGHT).title(title)
                .xAxisTitle("MoE parameters removed (%)").yAxisTitle(acc ? what + " (%, higher is better)" : what + " (lower is better)")
                .build();
        Figures.style(chart.getStyler());
        chart.getStyler().setXAxisDecimalPattern("0");
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        double xMax = 0;
        for (String label : s.compressors()) {
            List<CellResult> pts = cells.stream().filter(r -> s.label(r).equals(label)).sorted(Comparator.comparingDouble(CellResult::compression))
                    .toList();
            if (pts.isEmpty()) {
                continue;
            }
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (CellResult r : pts) {
                double v = FrontierTable.value(r, task) * (acc ? 100 : 1);
                x.add(100 * r.compression());
                y.add(v);
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
                xMax = Math.max(xMax, 100 * r.compression());
            }
            XYSeries ser = chart.addSeries(label, x, y);
            ser.setLineColor(palette.of(label));
            ser.setMarkerColor(palette.of(label));
            ser.setMarker(SeriesMarkers.CIRCLE);
            // XChart would cycle dash patterns by itself; here dashes mean "X+Wanda", colour the expert compressor
            ser.setLineStyle(Palette.hybrid(label) ? SeriesLines.DASH_DASH : SeriesLines.SOLID);
            ser.setLineWidth(label.equals("hodgecover") || label.startsWith("hodgecover+") ? 3f : 1.6f);
        }
        CellResult dense = s.results().stream().filter(r -> r.cell().backbone().equals(backbone) && r.cell().isDense()).findFirst().orElse(null);
        if (dense != null && !Double.isNaN(FrontierTable.value(dense, task))) {
            double v = FrontierTable.value(dense, task) * (acc ? 100 : 1);
            XYSeries d = chart.addSeries("dense", List.of(0.0, Math.max(xMax, 1.0)), List.of(v, v));
            d.setLineColor(Palette.DENSE);
            d.setLineStyle(SeriesLines.DOT_DOT);
            d.setMarker(SeriesMarkers.NONE);
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (!acc && lo > 0 && hi / lo > 8) {
            chart.getStyler().setYAxisLogarithmic(true); // pruned perplexities span orders of magnitude
        }
        String name = "frontier_" + Figures.slug(backbone) + "_" + Figures.slug(task) + (hybrid ? "_hybrid" : "_experts");
        return Figures.save(chart, dir, name, title, "x: fraction of routed-expert (MoE block) parameters removed; dotted: dense "
                + backbone + (acc ? "" : (chart.getStyler().isYAxisLogarithmic() ? "; log scale" : "")) + ".");
    }
}
