package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.sweep.GroupAnalyzer;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The sweep's Hodge diagnostics (methods.md §4.10) of one backbone: {@code harmonic_energy.csv} (per layer harmonic
 * energy fraction, β1 curve, τ*, edges, faces) and {@code hodge_balance.csv} (retained mass of the four components and
 * the balance of every compressed cell's kept set). The complex is built from the barriers the sweep's HodgeCover
 * cells used (same settings, so they come from the barrier cache); a sweep without HodgeCover cells uses
 * {@link #DEFAULT_OPTIONS} (local barriers on 1024 tokens, the cheap mode).
 */
public final class HodgeBalanceAnalyzer implements GroupAnalyzer {
    /** Barrier options when no cell of the group names any. */
    public static final Map<String, String> DEFAULT_OPTIONS = Map.of("barrier", "local", "barrier_tokens", "1024");

    @Override
    public String name() {
        return "hodge-balance";
    }

    @Override
    public void analyze(String backbone, CompressionContext ctx, Map<Cell, PruningPlan> plans, Path dir) throws IOException {
        List<OptionSpec> specs = new HodgeCoverCompressor().options();
        Options o = Options.parse("hodgecover", specs, barrierOptions(plans.keySet(), specs));
        HodgeDiagnostics d = new HodgeDiagnostics(HodgeBarriers.forModel(ctx, HodgeCoverCompressor.settings(o)), ctx.stats(),
                HodgeCoverCompressor.params(o, HodgeParams.Variant.HODGECOVER));
        AtomicFiles.writeString(dir.resolve("hodge_balance.csv"), d.balanceCsv(backbone, plans.values()));
        AtomicFiles.writeString(dir.resolve("harmonic_energy.csv"), d.harmonicCsv(backbone));
    }

    /** The HodgeCover options of the group's first HodgeCover-family cell (only those HodgeCover knows), else defaults. */
    static Map<String, String> barrierOptions(Set<Cell> cells, List<OptionSpec> specs) {
        Set<String> known = specs.stream().map(OptionSpec::name).collect(Collectors.toSet());
        for (Cell c : cells) {
            if (c.compressor().startsWith("hodgecover") || c.compressor().equals("greedy-barrier")) {
                Map<String, String> m = new HashMap<>();
                c.options().forEach((k, v) -> {
                    if (known.contains(k)) {
                        m.put(k, v);
                    }
                });
                return m;
            }
        }
        return DEFAULT_OPTIONS;
    }
}
