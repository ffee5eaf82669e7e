package dev.moefrontier.benchmarks;

import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Synthetic checkpoints in the real on-disk layout, written once per benchmark trial into a temporary folder. */
final class Checkpoints {
    private Checkpoints() {}

    /** An OLMoE-shaped checkpoint (top-8, no shared expert) of the given size. */
    static Path olmoe(int layers, int hidden, int experts, int intermediate, DType dtype) {
        try {
            Path dir = Files.createTempDirectory("frontier-jmh");
            SyntheticCheckpoint.of("olmoe").layers(layers).hidden(hidden).heads(8, 8, hidden / 8).experts(experts, 8, intermediate)
                    .vocab(1024).dtype(dtype).seed(1).write(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes what {@link #olmoe} wrote. */
    static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
