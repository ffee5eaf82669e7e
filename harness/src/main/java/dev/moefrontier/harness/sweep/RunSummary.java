package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import java.util.List;
import java.util.Map;

/**
 * A collected run, as renderers and reports see it.
 *
 * @param name run name
 * @param results every finished cell
 * @param tables the tables every {@link GroupAnalyzer} wrote, by file name (e.g. {@code hodge_balance.csv}), each
 *     concatenated over backbones
 */
public record RunSummary(String name, List<CellResult> results, Map<String, List<Map<String, String>>> tables) {

    /** The rows of an analyzer's table, empty when no analyzer wrote it. */
    public List<Map<String, String>> table(String file) {
        return tables.getOrDefault(file, List.of());
    }

    /** Backbones in order of first appearance. */
    public List<String> backbones() {
        return results.stream().map(r -> r.cell().backbone()).distinct().toList();
    }

    /** Compressor labels (name, with options when a compressor appears with several option sets), in order. */
    public List<String> compressors() {
        return results.stream().filter(r -> !r.cell().isDense()).map(this::label).distinct().toList();
    }

    /**
     * How a cell's compressor is named in tables and legends: its name, plus its options when the same compressor ran
     * with several option sets in this run (a hybrid's per-ratio {@code r1} does not count).
     */
    public String label(CellResult r) {
        Cell c = r.cell();
        if (c.isDense()) {
            return Cell.DENSE;
        }
        long variants = results.stream().filter(o -> o.cell().compressor().equals(c.compressor())).map(RunSummary::options).distinct().count();
        String opts = options(r);
        return variants <= 1 || opts.isEmpty() ? c.compressor() : c.compressor() + " (" + opts + ")";
    }

    private static String options(CellResult r) {
        return r.cell().options().entrySet().stream().filter(e -> !e.getKey().equals("r1")).map(e -> e.getKey() + "=" + e.getValue())
                .reduce((a, b) -> a + "," + b).orElse("");
    }

    /** The level its compressor declares ({@link Compressor#level()}); EXPERT for dense cells and unknown compressors. */
    public static Compressor.Level level(CellResult r) {
        return r.cell().isDense() ? Compressor.Level.EXPERT : level(r.cell().compressor());
    }

    /** The level of a compressor by name; EXPERT when no compressor of that name is on the class path. */
    public static Compressor.Level level(String compressor) {
        return CompressorCatalog.shared().find(compressor).map(Compressor::level).orElse(Compressor.Level.EXPERT);
    }

    /** A hybrid's expert-level stage by name, or null. */
    public static String expertStage(String compressor) {
        return CompressorCatalog.shared().find(compressor).map(Compressor::expertStage).orElse(null);
    }
}
