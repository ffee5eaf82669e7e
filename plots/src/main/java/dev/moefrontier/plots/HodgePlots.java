package dev.moefrontier.plots;

import dev.moefrontier.harness.spi.ReportRenderer.Figure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The Hodge diagnostics (methods.md §4.10): Hodge-mass retention of each compressor's kept set as grouped bars, the
 * balance score against the ratio, the harmonic energy fraction per layer, and the β1 filtration curves.
 */
final class HodgePlots {
    static final List<String> COMPONENTS = List.of("gradient", "curl", "harmonic", "triplet");

    private HodgePlots() {}

    static List<Figure> render(List<Map<String, String>> balance, List<Map<String, String>> harmonic, Palette palette, Path dir)
            throws IOException {
        List<Figure> out = new ArrayList<>();
        Set<String> backbones = new LinkedHashSet<>();
        balance.forEach(r -> backbones.add(r.get("backbone")));
        for (String b : backbones) {
            List<Map<String, String>> mean = balance.stream().filter(r -> r.get("backbone").equals(b) && r.get("layer").equals("mean")).toList();
            TreeSet<Double> ratios = new TreeSet<>();
            mean.forEach(r -> ratios.add(Double.parseDouble(r.get("ratio"))));
            if (ratios.isEmpty()) {
                continue;
            }
            double ratio = ratios.ceiling(0.5) != null ? ratios.ceiling(0.5) : ratios.last(); // the middle of the sweep
            out.add(bars(b, ratio, mean, dir));
            out.add(balanceCurve(b, mean, palette, dir));
        }
        Set<String> hb = new LinkedHashSet<>();
        harmonic.forEach(r -> hb.add(r.get("backbone")));
        if (!hb.isEmpty()) {
            out.add(harmonicEnergy(harmonic, hb, dir));
            for (String b : hb) {
                out.add(betti(b, harmonic, dir));
            }
        }
        return out;
    }

    private static Figure bars(String backbone, double ratio, List<Map<String, String>> mean, Path dir) throws IOException {
        List<Map<String, String>> rows = mean.stream().filter(r -> Double.parseDouble(r.get("ratio")) == ratio).toList();
        List<String> names = rows.stream().map(r -> r.get("compressor")).toList();
        String pct = String.format(Locale.ROOT, "%.0f%%", 100 * ratio);
        String title = backbone + ": Hodge-mass retained by the kept experts at " + pct;
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(Figures.WIDTH, 60 * names.size() + 300)).height(Figures.HEIGHT)
                .title(title).xAxisTitle("compressor").yAxisTitle("retained fraction of component mass").build();
        Figures.style(chart.getStyler());
        chart.getStyler().setXAxisLabelRotation(45);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        chart.getStyler().setOverlapped(false);
        java.awt.Color[] comp = {new java.awt.Color(0x4c72b0), new java.awt.Color(0xdd8452), new java.awt.Color(0x55a868),
            new java.awt.Color(0x8172b3), java.awt.Color.DARK_GRAY};
        int i = 0;
        for (String k : List.of("gradient", "curl", "harmonic", "triplet", "balance")) {
            List<Double> v = rows.stream().map(r -> nanToZero(r.get(k))).toList();
            CategorySeries s = chart.addSeries(k.equals("balance") ? "balance (min/max)" : k, names, v);
            s.setFillColor(comp[i++]);
        }
        return Figures.save(chart, dir, "hodge_balance_" + Figures.slug(backbone), title,
                "Mean over MoE layers of the fraction of each Hodge component's mass (gradient, curl, harmonic, triplet) on edges"
                        + " and faces among kept experts; balance = min/max of the four (methods.md 4.10). Ratio " + pct + ".");
    }

    private static Figure balanceCurve(String backbone, List<Map<String, String>> mean, Palette palette, Path dir) throws IOException {
        String title = backbone + ": Hodge-mass balance of the kept set";
        XYChart chart = new XYChartBuilder().width(Figures.WIDTH).height(Figures.HEIGHT).title(title).xAxisTitle("reduction ratio (%)")
                .yAxisTitle("balance (min/max retained component)").build();
        Figures.style(chart.getStyler());
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        for (String c : mean.stream().map(r -> r.get("compressor")).distinct().toList()) {
            List<Map<String, String>> pts = mean.stream().filter(r -> r.get("compressor").equals(c))
                    .sorted((a, b) -> Double.compare(Double.parseDouble(a.get("ratio")), Double.parseDouble(b.get("ratio")))).toList();
            XYSeries s = chart.addSeries(c, pts.stream().map(r -> 100 * Double.parseDouble(r.get("ratio"))).toList(),
                    pts.stream().map(r -> nanToZero(r.get("balance"))).toList());
            s.setLineColor(palette.of(c));
            s.setMarkerColor(palette.of(c));
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineStyle(Palette.hybrid(c) ? org.knowm.xchart.style.lines.SeriesLines.DASH_DASH : org.knowm.xchart.style.lines.SeriesLines.SOLID);
        }
        return Figures.save(chart, dir, "hodge_balance_curve_" + Figures.slug(backbone), title,
                "Balance score (methods.md 4.10) against the reduction ratio, mean over MoE layers; 1 = every component kept equally.");
    }

    private static Figure harmonicEnergy(List<Map<String, String>> rows, Set<String> backbones, Path dir) throws IOException {
        String title = "Harmonic energy fraction per MoE layer";
        XYChart chart = new XYChartBuilder().width(Figures.WIDTH).height(Figures.HEIGHT).title(title).xAxisTitle("layer")
                .yAxisTitle("||harm||^2 / ||b||^2").build();
        Figures.style(chart.getStyler());
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisMin(0.0);
        for (String b : backbones) {
            List<Map<String, String>> pts = rows.stream().filter(r -> r.get("backbone").equals(b)).toList();
            XYSeries s = chart.addSeries(b, pts.stream().map(r -> Double.parseDouble(r.get("layer"))).toList(),
                    pts.stream().map(r -> nanToZero(r.get("harmonic_energy_fraction"))).toList());
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        return Figures.save(chart, dir, "harmonic_energy", title,
                "Share of the barrier cochain's energy in its harmonic part, per layer, on the complex at tau* (methods.md 4.6).");
    }

    private static Figure betti(String backbone, List<Map<String, String>> rows, Path dir) throws IOException {
        String title = backbone + ": beta_1 along the filtration";
        XYChart chart = new XYChartBuilder().width(Figures.WIDTH).height(Figures.HEIGHT).title(title)
                .xAxisTitle("filtration position (0 = min pair barrier, 1 = median)").yAxisTitle("beta_1 (independent cycles)").build();
        Figures.style(chart.getStyler());
        chart.getStyler().setXAxisDecimalPattern("0.0");
        for (Map<String, String> r : rows) {
            if (!r.get("backbone").equals(backbone) || r.get("betti1_curve").isBlank()) {
                continue;
            }
            String[] v = r.get("betti1_curve").trim().split(" ");
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int i = 0; i < v.length; i++) {
                x.add(v.length == 1 ? 0.0 : i / (double) (v.length - 1));
                y.add(Double.parseDouble(v[i]));
            }
            XYSeries s = chart.addSeries("layer " + r.get("layer") + " (tau* " + fmt(r.get("tau_star")) + ")", x, y);
            s.setMarker(SeriesMarkers.NONE);
        }
        return Figures.save(chart, dir, "betti1_" + Figures.slug(backbone), title,
                "beta_1 of K_tau on the 80-point grid (methods.md 4.5); the complex is taken at tau*, the first maximum.");
    }

    private static String fmt(String v) {
        try {
            return String.format(Locale.ROOT, "%.3g", Double.parseDouble(v));
        } catch (NumberFormatException e) {
            return v;
        }
    }

    private static double nanToZero(String v) {
        double d = v == null || v.isBlank() ? Double.NaN : Double.parseDouble(v);
        return Double.isNaN(d) ? 0 : d;
    }
}
