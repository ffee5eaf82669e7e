package dev.moefrontier.compressors.hodge;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.cli.CalibrationOptions;
import dev.moefrontier.harness.spi.CliExtension;
import dev.moefrontier.harness.cli.RuntimeOptions;
import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.sweep.Cell;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Json;
import dev.moefrontier.harness.util.RunMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier hodge}, {@code frontier barriers} and {@code frontier hodge-balance}. */
public final class HodgeCommands implements CliExtension {
    @Override
    public String name() {
        return "hodge";
    }

    @Override
    public String description() {
        return "frontier hodge, barriers, hodge-balance; bench hodge, barriers";
    }

    @Override
    public List<Object> commands() {
        return List.of(new Hodge(), new Barriers(), new Balance());
    }

    @Override
    public List<Object> benchmarks() {
        return List.of(new HodgeBenchmarks.Hodge(), new HodgeBenchmarks.Barriers());
    }

    static JsonObject readJson(Path f) {
        try {
            JsonElement el = JsonParser.parseString(Files.readString(f));
            if (!el.isJsonObject()) {
                throw CheckpointException.of(f, "not a JSON object");
            }
            return el.getAsJsonObject();
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(f, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(f, "cannot read: " + e.getMessage());
        } catch (JsonParseException e) {
            throw CheckpointException.of(f, "not valid JSON: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    static HodgeParams.Variant variant(String v) {
        return switch (v) {
            case "hodgecover" -> HodgeParams.Variant.HODGECOVER;
            case "no-triangle" -> HodgeParams.Variant.NO_TRIANGLE;
            case "triplet-penalty" -> HodgeParams.Variant.TRIPLET_PENALTY;
            case "triplet-hypergraph" -> HodgeParams.Variant.TRIPLET_HYPERGRAPH;
            case "greedy-barrier" -> HodgeParams.Variant.GREEDY_BARRIER;
            default -> throw new IllegalArgumentException("unknown variant '" + v
                    + "' (hodgecover, no-triangle, triplet-penalty, triplet-hypergraph, greedy-barrier)");
        };
    }

    /** {@code frontier hodge}. */
    @Command(name = "hodge", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Run HodgeCover's selection (methods.md 4.5-4.10) on given barriers.",
                "INPUT is a case file ({\"input\": {...}}, like fixtures/hodge/*.json) or a bare input object with",
                "pair_barriers, candidate_triangles, triplet_barriers, saliency, keep and optional params (steps, p, q,",
                "lam_e, lam_t, alpha) - what 'frontier barriers' writes. OUT gets the result in the fixtures' 'expected'",
                "layout: tau_grid, betti1_curve, tau_star, betti1, edges, faces, grad, curl, harm, harmonic_energy_fraction,",
                "critical_edges, critical_triangles, selected, redirect, retained_mass, balance."})
    static final class Hodge implements Callable<Integer> {
        @Option(names = "--input", required = true, paramLabel = "FILE")
        Path input;

        @Option(names = "--out", required = true, paramLabel = "FILE")
        Path out;

        @Option(names = "--variant", defaultValue = "hodgecover",
                description = "hodgecover, no-triangle, triplet-penalty, triplet-hypergraph or greedy-barrier. Default: ${DEFAULT-VALUE}.")
        String variant;

        @Option(names = "--keep", paramLabel = "K", description = "Override the number of experts to keep.")
        Integer keep;

        @Override
        public Integer call() throws IOException {
            JsonObject root = readJson(input);
            JsonObject in = root.has("input") ? root.getAsJsonObject("input") : root;
            HodgeInput hi;
            HodgeParams params;
            try {
                hi = HodgeCover.input(in);
                if (keep != null) {
                    hi = new HodgeInput(hi.pairBarriers(), hi.candidates(), hi.tripletBarriers(), hi.saliency(), keep);
                }
                params = HodgeCover.params(in.has("params") ? in.getAsJsonObject("params") : null).withVariant(variant(variant));
            } catch (RuntimeException e) {
                throw CheckpointException.of(input, String.valueOf(e.getMessage()));
            }
            HodgeResult r = HodgeCover.run(hi, params);
            Json.write(out, r.document());
            System.out.printf("n=%d keep=%d: tau*=%.6g beta1=%d, K has %d edges and %d faces, harmonic energy %.4f, balance %.4f%n",
                    hi.n(), hi.keep(), r.filtration().tauStar(), r.filtration().betti1(), r.edges().length, r.faces().length,
                    r.decomposition().harmonicEnergyFraction(), r.balance());
            System.out.println("wrote " + out);
            return 0;
        }
    }

    /** Shared barrier options. */
    static final class BarrierOptions {
        @Option(names = "--barrier", defaultValue = "full", description = "full or local. Default: ${DEFAULT-VALUE}.")
        String mode;

        @Option(names = "--barrier-tokens", defaultValue = "0", description = "Calibration tokens used (0 = all). Default: ${DEFAULT-VALUE}.")
        int tokens;

        @Option(names = "--triangle-cap", defaultValue = "500", description = "Candidate triangles per layer. Default: ${DEFAULT-VALUE}.")
        int cap;

        @Option(names = "--candidate-seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
        long seed;

        @Option(names = "--barrier-memory", defaultValue = "0", paramLabel = "MB",
                description = "Memory budget of the barrier computation in MiB (0 = half the memory available). Values do not"
                        + " depend on it. Default: ${DEFAULT-VALUE}.")
        long memoryMb;

        BarrierSettings settings(int batchTokens) {
            MergeBarriers.Mode m = switch (mode.toLowerCase(Locale.ROOT)) {
                case "full" -> MergeBarriers.Mode.FULL;
                case "local" -> MergeBarriers.Mode.LOCAL;
                default -> throw new IllegalArgumentException("--barrier must be full or local, got '" + mode + "'");
            };
            if (memoryMb < 0) {
                throw new IllegalArgumentException("--barrier-memory must be at least 0 (MiB), got " + memoryMb);
            }
            return new BarrierSettings(m, tokens, cap, seed, batchTokens, memoryMb << 20);
        }
    }

    /** {@code frontier barriers}. */
    @Command(name = "barriers", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Measure merge barriers of one MoE layer and write them as 'frontier hodge' input.",
                "Pair barriers of every expert pair, candidate triangles (3-cliques below the median pair barrier, capped),",
                "their triplet barriers, REAP saliency, and keep = the experts kept at --ratio. Values are rounded to the",
                "decision grids of methods.md section 10 (barriers 1e-5, triplets 1e-4, saliency 1e-6 of the largest value),",
                "as the compressor uses them, so 'frontier hodge' on this file selects exactly what hodgecover does."})
    static final class Barriers implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR")
        Path model;

        @Option(names = "--layer", required = true, paramLabel = "L")
        int layer;

        @Option(names = "--ratio", defaultValue = "0.5", description = "Expert ratio that sets 'keep'. Default: ${DEFAULT-VALUE}.")
        double ratio;

        @Option(names = "--out", required = true, paramLabel = "FILE")
        Path out;

        @Mixin
        BarrierOptions barrier;

        @Mixin
        CalibrationOptions calibration;

        @Mixin
        RuntimeOptions runtime;

        @Override
        public Integer call() throws IOException {
            calibration.validate(true);
            BarrierSettings s = barrier.settings(4096);
            try (MoeTransformer m = runtime.open(model)) {
                if (!m.config().moeLayers().contains(layer)) {
                    throw new IllegalArgumentException("layer " + layer + " is not a MoE layer (MoE layers: " + m.config().moeLayers() + ")");
                }
                int keep = m.config().moe().numExperts() - Budget.pruneCount(ratio, m.config().moe().numExperts(), m.config().moe().topK());
                CompressionContext ctx = calibration.context(m, List.of(RoutingStatistics.OUTPUT_NORMS), true);
                LayerBarriers lb;
                try (MergeBarriers mb = new MergeBarriers(m, ctx.stats(), BarrierStatistic.windows(ctx.data().windows(), s), s.mode(),
                        s.batchTokens(), s.memoryBudget())) {
                    long t0 = System.nanoTime();
                    lb = BarrierStatistic.compute(mb, layer, m.config().moe().numExperts(), s);
                    System.err.println("barriers: " + mb.report());
                    RunMetrics.add("barrier_s", (System.nanoTime() - t0) / 1e9);
                    RunMetrics.add("flop_bound", mb.flopBound());
                }
                HodgeInput hi = lb.input(HodgeCoverCompressor.saliency(ctx.stats().layer(layer)), keep);
                int e = m.config().moe().numExperts();
                RunMetrics.add("merges", e * (e - 1) / 2.0 + hi.candidates().length);
                JsonObject o = HodgeCover.toJson(hi, HodgeParams.defaults());
                o.addProperty("layer", layer);
                o.addProperty("barrier", s.mode().name().toLowerCase(Locale.ROOT));
                AtomicFiles.writeString(out, new GsonBuilder().create().toJson(o) + "\n");
            }
            System.out.println("wrote " + out);
            return 0;
        }
    }

    /** {@code frontier hodge-balance}. */
    @Command(name = "hodge-balance", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Hodge diagnostics of a model and the Hodge-mass balance of compressors' kept sets.",
                "Writes OUT (hodge_balance.csv: backbone,compressor,ratio,layer,gradient,curl,harmonic,triplet,balance, with",
                "layer 'mean' for the average over layers) for every plan given, and harmonic_energy.csv next to it."})
    static final class Balance implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR")
        Path model;

        @Option(names = "--plans", required = true, arity = "1..*", paramLabel = "PLAN",
                description = "pruning_plan.json files (or directories holding one).")
        List<Path> plans = new ArrayList<>();

        @Option(names = "--backbone", description = "Backbone name in the rows (default: the model directory name).")
        String backbone;

        @Option(names = "--out", required = true, paramLabel = "FILE")
        Path out;

        @Mixin
        BarrierOptions barrier;

        @Mixin
        CalibrationOptions calibration;

        @Mixin
        RuntimeOptions runtime;

        @Override
        public Integer call() throws IOException {
            calibration.validate(true);
            List<PruningPlan> loaded = new ArrayList<>();
            for (Path p : plans) {
                Path f = Files.isDirectory(p) ? p.resolve("pruning_plan.json") : p;
                loaded.add(PruningPlan.read(f));
            }
            String name = backbone != null ? backbone : model.toAbsolutePath().getFileName().toString();
            try (MoeTransformer m = runtime.open(model)) {
                BarrierStatistic stat = new BarrierStatistic(barrier.settings(4096));
                CompressionContext ctx = calibration.context(m, List.of(RoutingStatistics.OUTPUT_NORMS, stat), true);
                Map<Integer, LayerBarriers> b = BarrierStatistic.barriers(ctx, stat.settings());
                HodgeDiagnostics d = new HodgeDiagnostics(b, ctx.stats(), HodgeParams.defaults());
                for (PruningPlan p : loaded) {
                    p.validate(m.config());
                }
                AtomicFiles.writeString(out, d.balanceCsv(name, loaded.stream()
                        .map(p -> Map.entry(new Cell(name, p.compressor(), p.options(), p.ratio()).optionString(), p)).toList()));
                Path harm = out.toAbsolutePath().getParent().resolve("harmonic_energy.csv");
                AtomicFiles.writeString(harm, d.harmonicCsv(name));
                System.out.println("wrote " + out + " and " + harm);
            }
            return 0;
        }
    }
}
