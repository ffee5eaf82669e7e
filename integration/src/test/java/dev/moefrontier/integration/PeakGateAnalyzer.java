package dev.moefrontier.integration;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.spi.GroupAnalyzer;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Csv;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A third-party analyzer writing its own table ({@code peak_gate.csv}) from the plug-in statistic, no harness change. */
public final class PeakGateAnalyzer implements GroupAnalyzer {
    @Override
    public String name() {
        return "test-peak-gate";
    }

    @Override
    public void analyze(String backbone, CompressionContext ctx, Map<Cell, PruningPlan> plans, Path dir) throws IOException {
        if (plans.keySet().stream().noneMatch(c -> c.compressor().equals("test-peak-gate")) || !ctx.stats().has(PeakGateStatistic.INSTANCE)) {
            return;
        }
        StringBuilder sb = new StringBuilder(Csv.row("backbone", "layer", "expert", "peak_gate"));
        for (int l : ctx.config().moeLayers()) {
            double[] peak = ctx.stats().values(PeakGateStatistic.INSTANCE, l).get("peak");
            for (int e = 0; e < peak.length; e++) {
                sb.append(Csv.row(backbone, l, e, peak[e]));
            }
        }
        AtomicFiles.writeString(dir.resolve("peak_gate.csv"), sb);
    }
}
