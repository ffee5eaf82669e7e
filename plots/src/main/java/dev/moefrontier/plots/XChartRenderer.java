package dev.moefrontier.plots;

import dev.moefrontier.harness.spi.ReportRenderer;
import dev.moefrontier.harness.sweep.RunSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The built-in figures of a run (XChart; PNG embedded in report.html, SVG next to it). */
public final class XChartRenderer implements ReportRenderer {
    @Override
    public String name() {
        return "xchart";
    }

    @Override
    public String description() {
        return "frontier, Hodge-balance and harmonic-energy plots (PNG + SVG) for the report";
    }

    @Override
    public List<Figure> render(RunSummary summary, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true"); // servers and CI have no display
        Palette palette = new Palette(summary.compressors());
        List<Figure> out = new ArrayList<>(FrontierPlots.render(summary, palette, dir));
        out.addAll(HodgePlots.render(summary.table("hodge_balance.csv"), summary.table("harmonic_energy.csv"), palette, dir));
        return out;
    }
}
