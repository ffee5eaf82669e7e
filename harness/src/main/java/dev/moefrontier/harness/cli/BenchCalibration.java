package dev.moefrontier.harness.cli;

import static dev.moefrontier.harness.cli.BenchCommand.deleteTree;
import static dev.moefrontier.harness.cli.BenchCommand.olmoeShaped;

import dev.moefrontier.harness.model.MoeTransformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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

    @Override
    public Integer call() throws IOException {
        Path tmp = Files.createTempDirectory("frontier-calib");
        try {
            Path dir = olmoeShaped(tmp, layers, hidden, experts, 8, intermediate);
            Random r = new Random(0);
            List<int[]> w = new ArrayList<>();
            for (int i = 0; i < windows; i++) {
                w.add(r.ints(length, 0, 1024).toArray());
            }
            Path ids = tmp.resolve("calib.json");
            StringBuilder sb = new StringBuilder("{\"input_ids\": [");
            for (int i = 0; i < w.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(java.util.Arrays.toString(w.get(i)));
            }
            Files.writeString(ids, sb.append("]}").toString());
            var stats = new java.util.LinkedHashSet<dev.moefrontier.harness.spi.CalibrationStatistic>();
            stats.add(dev.moefrontier.harness.calib.RoutingStatistics.ROUTING); // always collected
            if (compressor == null) {
                stats.add(dev.moefrontier.harness.calib.RoutingStatistics.OUTPUT_NORMS);
            } else {
                var comp = dev.moefrontier.harness.compress.CompressorCatalog.shared().get(compressor);
                stats.addAll(comp.statistics(dev.moefrontier.harness.compress.Options.parse(comp.name(), comp.options(), java.util.Map.of())));
            }
            try (MoeTransformer m = MoeTransformer.open(dir)) {
                var data = dev.moefrontier.harness.calib.CalibrationData.load(
                        dev.moefrontier.harness.calib.CalibrationSpec.tokenIds(ids), m);
                var cal = new dev.moefrontier.harness.calib.Calibrator(null, 4096, s -> { });
                long t0 = System.nanoTime();
                cal.collect(m, data, stats, dev.moefrontier.harness.model.ModelPatch.NONE);
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf("calibration  %d x %d tokens, %s: %.2f s, %.0f tokens/s%n", windows, length,
                        stats.stream().map(dev.moefrontier.harness.spi.CalibrationStatistic::id).sorted().toList(), secs,
                        windows * (double) length / secs);
            }
        } finally {
            deleteTree(tmp);
        }
        return 0;
    }
}
