package dev.moefrontier.harness.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier bench digest}. */
@Command(name = "digest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The cost of a checkpoint's content fingerprint: SHA-256 of every byte with the NaN/Inf scan beside",
            "it (what the first open of a checkpoint pays; later opens read the remembered sidecar), the hash alone,",
            "and a plain sequential read of the same files, each the best of --reps runs from the page cache."})
final class BenchDigest implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR")
    Path model;

    @Option(names = "--reps", defaultValue = "3", description = "Timed runs (best is reported). Default: ${DEFAULT-VALUE}.")
    int reps;

    @Override
    public Integer call() throws IOException {
        try (dev.moefrontier.harness.io.Checkpoint c = dev.moefrontier.harness.io.Checkpoint.open(model)) {
            double gb = c.totalBytes() / 1e9;
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(8 << 20);
            for (int r = 0; r < reps + 1; r++) { // the first round warms the page cache and the JIT
                long t0 = System.nanoTime();
                for (var f : c.files()) {
                    dev.moefrontier.harness.io.ContentDigest.compute(f, true);
                }
                long t1 = System.nanoTime();
                for (var f : c.files()) {
                    dev.moefrontier.harness.io.ContentDigest.compute(f, false);
                }
                long t2 = System.nanoTime();
                for (var f : c.files()) {
                    try (var ch = java.nio.channels.FileChannel.open(f.path())) {
                        long pos = 0;
                        int n;
                        while ((n = ch.read(buf.clear(), pos)) > 0) {
                            pos += n;
                        }
                    }
                }
                long t3 = System.nanoTime();
                if (r > 0) {
                    best[0] = Math.min(best[0], (t1 - t0) / 1e9);
                    best[1] = Math.min(best[1], (t2 - t1) / 1e9);
                    best[2] = Math.min(best[2], (t3 - t2) / 1e9);
                }
            }
            System.out.printf(java.util.Locale.ROOT, "digest %.2f GB: hash + scan %.2f s (%.2f GB/s), hash only %.2f s, read only %.2f s;"
                    + " hash + scan / read = %.1f%n", gb, best[0], gb / best[0], best[1], best[2], best[0] / best[2]);
        }
        return 0;
    }
}
