package dev.moefrontier.harness.spi;

import dev.moefrontier.harness.sweep.RunSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Draws figures of a collected run (the plots module registers one in
 * {@code META-INF/services/dev.moefrontier.harness.spi.ReportRenderer}); the HTML report embeds them.
 */
public interface ReportRenderer extends Named {
    /** A figure: a PNG (embedded) and optionally an SVG of the same plot. */
    record Figure(Path png, Path svg, String title, String caption) {}

    @Override
    default String description() {
        return "report figures";
    }

    /** Writes figures into {@code dir}. */
    List<Figure> render(RunSummary summary, Path dir) throws IOException;
}
