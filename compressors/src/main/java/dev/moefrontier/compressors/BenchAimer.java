package dev.moefrontier.compressors;

import static dev.moefrontier.harness.cli.BenchCommand.deleteTree;
import static dev.moefrontier.harness.cli.BenchCommand.olmoeShaped;

import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier bench aimer} (contributed by this module through {@link CompressorBenchmarks}). */
@Command(name = "aimer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"AIMER scoring time on a synthetic 64-expert x 16-layer OLMoE-shaped checkpoint.",
            "AIMER reads expert weights straight from the checkpoint's memory maps (no forward pass)."})
final class BenchAimer implements Callable<Integer> {
    @Option(names = "--layers", defaultValue = "16", description = "Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int experts;

    @Option(names = "--hidden", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--intermediate", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
    int intermediate;

    @Option(names = "--reps", defaultValue = "3", description = "Timed runs (best is reported). Default: ${DEFAULT-VALUE}.")
    int reps;

    @Override
    public Integer call() throws IOException {
        var scorer = new AimerCompressor();
        Path tmp = Files.createTempDirectory("frontier-aimer");
        try {
            Path dir = olmoeShaped(tmp, layers, hidden, experts, 8, intermediate);
            try (MoeTransformer m = MoeTransformer.builder().setPath(dir).optResidency(ModelWeights.Residency.STREAM).build()) {
                var ctx = dev.moefrontier.harness.compress.CompressionContext.builder().setModel(m).build();
                var opts = dev.moefrontier.harness.compress.Options.none();
                scorer.scores(ctx, opts); // warm-up: page cache and JIT
                double best = Double.MAX_VALUE;
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    scorer.scores(ctx, opts);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                long params = (long) layers * experts * 3L * hidden * intermediate;
                System.out.printf("aimer        %d layers x %d experts (H=%d, I=%d): %.3f s (best of %d), %.0f M params/s%n",
                        layers, experts, hidden, intermediate, best, reps, params / best / 1e6);
            }
        } finally {
            deleteTree(tmp);
        }
        return 0;
    }
}
