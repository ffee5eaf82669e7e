package dev.moefrontier.plots;

import dev.moefrontier.harness.spi.ReportRenderer.Figure;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Files;
import java.io.OutputStream;
import dev.moefrontier.harness.util.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;

/** Shared chart styling and writing (PNG for the report, SVG for papers). */
public final class Figures {
    /** Pixel size of every figure. */
    public static final int WIDTH = 900;
    public static final int HEIGHT = 560;

    private Figures() {}

    /** Common look: white background, legend outside on the right, readable fonts. */
    static void style(AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setLegendBorderColor(Color.LIGHT_GRAY);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        s.setChartTitleBoxVisible(false);
        s.setAntiAlias(true);
    }

    /** Writes {@code dir/name.png} and {@code dir/name.svg}. */
    static Figure save(Chart<?, ?> chart, Path dir, String name, String title, String caption) throws IOException {
        Path png = dir.resolve(name + ".png");
        Path svg = dir.resolve(name + ".svg");
        // Written to temporary names and renamed: a full disk leaves the previous figure, never a truncated one.
        AtomicFiles.write(png, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        });
        AtomicFiles.write(svg, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            }
        });
        return new Figure(png, svg, title, caption);
    }

    /** A file-name-safe form of a label. */
    static String slug(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]+", "_");
    }
}
