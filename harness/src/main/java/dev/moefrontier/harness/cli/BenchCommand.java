package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.model.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/** {@code frontier bench}: speed and memory figures, printed (not asserted); one file per bench, shared helpers here. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks that print their figures (forward throughput, streaming memory).",
            "forward: tokens/s against the matmul roofline; stream: peak RSS of a streamed forward;",
            "calibration: calibration-pass tokens/s;",
            "loglikelihood: evaluation requests/s (MMLU- and ARC-shaped, cold and cached);",
            "digest: the content hash + NaN/Inf scan every cache key rests on, against a plain read."},
        subcommands = {BenchForward.class, BenchStream.class, BenchStreamProbe.class, BenchCalibration.class,
            LoglikelihoodBench.class, BenchDigest.class})
public final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Deletes a temporary tree, best effort (benchmarks clean up after themselves). */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    /** Writes {@code windows} seeded random windows of {@code length} token ids below {@code vocab} as a calibration file. */
    public static Path randomIds(Path file, int windows, int length, int vocab, long seed) throws IOException {
        java.util.Random r = new java.util.Random(seed);
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int i = 0; i < windows; i++) {
            sb.append(i == 0 ? "" : ",").append(java.util.Arrays.toString(r.ints(length, 0, vocab).toArray()));
        }
        Files.writeString(file, sb.append("]}").toString());
        return file;
    }

    /** A synthetic OLMoE-shaped checkpoint in a temporary directory. */
    public static Path olmoeShaped(Path tmp, int layers, int hidden, int experts, int topk, int intermediate) throws IOException {
        Path dir = tmp.resolve("olmoe-synthetic");
        System.out.printf("generating OLMoE-shaped checkpoint: %d layers, H=%d, %d experts (top-%d, I=%d)...%n", layers, hidden,
                experts, topk, intermediate);
        SyntheticCheckpoint.of("olmoe").layers(layers).hidden(hidden).heads(8, 8, hidden / 8).experts(experts, topk, intermediate)
                .vocab(1024).seed(3).write(dir);
        return dir;
    }
}
