package dev.moefrontier.harness.cli;

import static dev.moefrontier.harness.cli.BenchCommand.deleteTree;
import static dev.moefrontier.harness.cli.BenchCommand.olmoeShaped;

import dev.moefrontier.harness.model.MoeTransformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier bench calibration}. */
@Command(name = "calibration", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Calibration-pass throughput (tokens/s) on a synthetic OLMoE-shaped checkpoint.",
            "Collects the streamed statistics the --compressor declares with its default options (default reap:",
            "routing and output norms; m-smoe adds the router Gram, hc-smoe every expert's mean output)."})
final class BenchCalibration implements Callable<Integer> {
    @Option(names = "--layers", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--hidden", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int experts;

    @Option(names = "--intermediate", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
    int intermediate;

    @Option(names = "--windows", defaultValue = "16", description = "Calibration windows. Default: ${DEFAULT-VALUE}.")
    int windows;

    @Option(names = "--length", defaultValue = "256", description = "Tokens per window. Default: ${DEFAULT-VALUE}.")
    int length;

    @Option(names = "--compressor", paramLabel = "NAME",
            description = "Collect the statistics this compressor declares (its default options). Default: the harness'"
                    + " built-in statistics (routing and output norms).")
    String compressor;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Time an existing checkpoint instead of a synthesized one (the shape options are then ignored).")
    Path model;

    @Option(names = "--calibration", paramLabel = "FILE",
            description = "Token ids (.json {\"input_ids\": [[...]]}) for --model (default: random windows).")
    Path calibration;

    @Option(names = "--reps", defaultValue = "2", description = "Alternating rounds of plain forward and calibration (best of each). Default: ${DEFAULT-VALUE}.")
    int reps;

    @picocli.CommandLine.Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws IOException {
        Path tmp = Files.createTempDirectory("frontier-calib");
        try {
            Path dir = model != null ? model : olmoeShaped(tmp, layers, hidden, experts, 8, intermediate);
            var stats = new java.util.LinkedHashSet<dev.moefrontier.harness.spi.CalibrationStatistic>();
            stats.add(dev.moefrontier.harness.calib.RoutingStatistics.ROUTING); // always collected
            if (compressor == null) {
                stats.add(dev.moefrontier.harness.calib.RoutingStatistics.OUTPUT_NORMS);
            } else {
                var comp = dev.moefrontier.harness.compress.CompressorCatalog.shared().get(compressor);
                stats.addAll(comp.statistics(dev.moefrontier.harness.compress.Options.parse(comp.name(), comp.options(), java.util.Map.of())));
            }
            try (MoeTransformer m = runtime.open(dir)) {
                Path ids = calibration;
                if (ids == null) {
                    ids = BenchCommand.randomIds(tmp.resolve("calib.json"), windows, length, Math.min(1024, m.config().vocabSize()), 0);
                }
                var data = dev.moefrontier.harness.calib.CalibrationData.load(
                        dev.moefrontier.harness.calib.CalibrationSpec.tokenIds(ids), m);
                var batches = dev.moefrontier.harness.calib.Calibrator.batches(data.windows(), 4096);
                // The same batches through the same forward with nothing observing: what the statistics add is the
                // difference. Alternating rounds, best of each, so page cache and warm-up favour neither.
                var cal = new dev.moefrontier.harness.calib.Calibrator(null, 4096, s -> { });
                double plain = Double.MAX_VALUE;
                double secs = Double.MAX_VALUE;
                for (int rep = 0; rep < reps; rep++) {
                    long p0 = System.nanoTime();
                    m.run(batches, dev.moefrontier.harness.model.ForwardObserver.NONE, (i, b, h) -> { });
                    plain = Math.min(plain, (System.nanoTime() - p0) / 1e9);
                    long t0 = System.nanoTime();
                    cal.collect(m, data, stats, dev.moefrontier.harness.model.ModelPatch.NONE);
                    secs = Math.min(secs, (System.nanoTime() - t0) / 1e9);
                }
                long tokens = data.tokens();
                System.out.printf("forward      %d tokens, nothing observed: %.2f s, %.0f tokens/s (best of %d)%n", tokens, plain, tokens / plain, reps);
                System.out.printf("calibration  %d tokens, %s: %.2f s, %.0f tokens/s%n", tokens,
                        stats.stream().map(dev.moefrontier.harness.spi.CalibrationStatistic::id).sorted().toList(), secs, tokens / secs);
                System.out.printf("overhead     statistics add %.1f%% over the plain forward (%s residency)%n", 100 * (secs / plain - 1),
                        m.weights().residency().name().toLowerCase(java.util.Locale.ROOT));
                dev.moefrontier.harness.util.RunMetrics.add("tokens", tokens);
                dev.moefrontier.harness.util.RunMetrics.add("plain_s", plain);
                dev.moefrontier.harness.util.RunMetrics.add("calibration_s", secs);
            }
        } finally {
            deleteTree(tmp);
        }
        return 0;
    }
}
