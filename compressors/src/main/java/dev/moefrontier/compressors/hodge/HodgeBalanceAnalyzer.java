package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.spi.GroupAnalyzer;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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
    public String description() {
        return "hodge_balance.csv, harmonic_energy.csv and hodge_balance.md of every backbone (methods.md §4.10)";
    }

    /** The diagnostics weigh experts by REAP saliency. */
    @Override
    public Set<CalibrationStatistic> statistics() {
        return Set.of(RoutingStatistics.OUTPUT_NORMS);
    }

    @Override
    public void analyze(String backbone, CompressionContext ctx, Map<Cell, PruningPlan> plans, Path dir) throws IOException {
        List<OptionSpec> specs = new HodgeCoverCompressor().options();
        Options o = Options.parse("hodgecover", specs, barrierOptions(plans.keySet(), specs));
        HodgeDiagnostics d = new HodgeDiagnostics(BarrierStatistic.barriers(ctx, HodgeCoverCompressor.settings(o)), ctx.stats(),
                HodgeCoverCompressor.params(o, HodgeParams.Variant.HODGECOVER));
        AtomicFiles.writeString(dir.resolve("hodge_balance.csv"), d.balanceCsv(backbone, plans.entrySet().stream()
                .map(e -> Map.entry(e.getKey().optionString(), e.getValue())).toList()));
        AtomicFiles.writeString(dir.resolve("harmonic_energy.csv"), d.harmonicCsv(backbone));
        // Both barrier modes in the group: how far local barriers stand in for full ones (methods.md §4.2).
        Map<String, Map<String, String>> byMode = new java.util.TreeMap<>();
        Set<Double> ratios = new java.util.TreeSet<>();
        for (Cell c : plans.keySet()) {
            if (isHodgeFamily(c)) {
                Map<String, String> opts = known(c, specs);
                byMode.putIfAbsent(Options.parse("hodgecover", specs, opts).getString("barrier"), opts);
                ratios.add(c.ratio());
            }
        }
        if (byMode.containsKey("full") && byMode.containsKey("local")) {
            AtomicFiles.writeString(dir.resolve("barrier_fidelity.csv"), BarrierFidelity.csv(backbone, ctx,
                    Options.parse("hodgecover", specs, byMode.get("full")), Options.parse("hodgecover", specs, byMode.get("local")),
                    text(byMode.get("full")), text(byMode.get("local")), ratios));
        }
    }

    private static boolean isHodgeFamily(Cell c) {
        return c.compressor().startsWith("hodgecover") || c.compressor().equals("greedy-barrier");
    }

    /** A cell's options that HodgeCover knows (a hybrid's r1 and Wanda's options left out). */
    private static Map<String, String> known(Cell c, List<OptionSpec> specs) {
        Set<String> names = specs.stream().map(OptionSpec::name).collect(Collectors.toSet());
        Map<String, String> m = new java.util.TreeMap<>();
        c.options().forEach((k, v) -> {
            if (names.contains(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    private static String text(Map<String, String> opts) {
        return opts.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(";"));
    }

    /** {@code hodge_balance.md}: the layer-mean balance of every compressed cell, one row per (backbone, compressor, ratio). */
    @Override
    public Map<String, String> summaries(Map<String, List<Map<String, String>>> tables) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        List<Map<String, String>> rows = tables.getOrDefault("hodge_balance.csv", List.of());
        if (!rows.isEmpty()) {
            out.put("hodge_balance.md", balanceMarkdown(rows));
        }
        List<Map<String, String>> fidelity = tables.getOrDefault("barrier_fidelity.csv", List.of());
        if (!fidelity.isEmpty()) {
            out.put("barrier_fidelity.md", BarrierFidelity.markdown(fidelity));
        }
        return out;
    }

    static String balanceMarkdown(List<Map<String, String>> rows) {
        StringBuilder sb = new StringBuilder("# Hodge-mass balance\n\nRetained fraction of each Hodge component's mass by the kept experts"
                + " (mean over layers); balance = min / max of the four.\n\n| backbone | compressor | ratio | gradient | curl | harmonic |"
                + " triplet | balance |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        Map<String, Long> variants = rows.stream().collect(Collectors.groupingBy(r -> r.get("backbone") + "/" + r.get("compressor"),
                Collectors.mapping(r -> r.getOrDefault("options", ""), Collectors.collectingAndThen(Collectors.toSet(), s -> (long) s.size()))));
        for (Map<String, String> r : rows) {
            if (r.get("layer").equals("mean")) {
                String opts = r.getOrDefault("options", "");
                String label = r.get("compressor") + (variants.get(r.get("backbone") + "/" + r.get("compressor")) > 1 && !opts.isEmpty()
                        ? " (" + opts.replace(';', ',') + ")" : "");
                sb.append("| ").append(r.get("backbone")).append(" | ").append(label).append(" | ").append(r.get("ratio"));
                for (String k : List.of("gradient", "curl", "harmonic", "triplet", "balance")) {
                    sb.append(" | ").append(String.format(Locale.ROOT, "%.3f", Double.parseDouble(r.get(k))));
                }
                sb.append(" |\n");
            }
        }
        return sb.toString();
    }

    /** The HodgeCover options of the group's first HodgeCover-family cell (only those HodgeCover knows), else defaults. */
    static Map<String, String> barrierOptions(Set<Cell> cells, List<OptionSpec> specs) {
        for (Cell c : cells) {
            if (isHodgeFamily(c)) {
                return known(c, specs);
            }
        }
        return DEFAULT_OPTIONS;
    }
}
