package dev.moefrontier.harness.spi;

import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.RunSummary;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.PruningPlan;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Extra per-backbone outputs of a sweep computed while the model is loaded (e.g. the Hodge-mass balance of every
 * compressor's kept set). Register implementations in
 * {@code META-INF/services/dev.moefrontier.harness.spi.GroupAnalyzer}; the collector concatenates the CSV files
 * they write (same name, same header) across backbones.
 */
public interface GroupAnalyzer extends Named {
    @Override
    default String description() {
        return "sweep analysis tables";
    }

    /** Calibration statistics the analyzer reads (collected with the compressors' in the group's one pass). */
    default Set<CalibrationStatistic> statistics() {
        return Set.of();
    }

    /**
     * Writes files into {@code dir} for one backbone.
     *
     * @param ctx the loaded model with its calibration data and statistics
     * @param plans every compressed cell's plan, by cell
     */
    void analyze(String backbone, CompressionContext ctx, Map<Cell, PruningPlan> plans, Path dir) throws IOException;

    /**
     * Markdown summaries of this analyzer's collected tables, by output file name (e.g. {@code hodge_balance.md}); the
     * collector writes each into the run folder and the report shows it as a section. {@code tables} holds every
     * collected table by file name (each concatenated over backbones). None by default.
     */
    default Map<String, String> summaries(Map<String, List<Map<String, String>>> tables) {
        return Map.of();
    }

    /**
     * Findings about the whole run, derived at collection time from every cell's results and the collected tables
     * (e.g. whether a paper's claims hold). The collector writes each table's CSV into the run folder and shows it
     * first in {@code report.html} and {@code table.md}. None by default.
     */
    default List<RunTable> findings(RunSummary run) {
        return List.of();
    }
}
