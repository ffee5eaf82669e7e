package dev.moefrontier.harness.cli;

import static dev.moefrontier.harness.cli.BenchCommand.deleteTree;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.util.Memory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier bench stream}. */
@Command(name = "stream", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Peak memory of a streamed forward on a checkpoint larger than the heap.",
            "Writes a synthetic checkpoint several times larger than the child JVM's heap (-Xmx),",
            "run a forward on it with --residency stream and with resident layers, each in a fresh JVM, and print",
            "peak RSS next to the checkpoint size."
        })
final class BenchStream implements Callable<Integer> {
    @Option(names = "--layers", defaultValue = "12", description = "Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--hidden", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--experts", defaultValue = "32", description = "Default: ${DEFAULT-VALUE}.")
    int experts;

    @Option(names = "--intermediate", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
    int intermediate;

    @Option(names = "--heap-mb", defaultValue = "256", description = "-Xmx of the child JVMs. Default: ${DEFAULT-VALUE}.")
    int heapMb;

    @Option(names = "--skip-resident", description = "Only run the streamed forward.")
    boolean skipResident;

    @Override
    public Integer call() throws Exception {
        Path tmp = Files.createTempDirectory("frontier-stream");
        try {
            Path dir = tmp.resolve("ckpt");
            System.out.printf("generating %d-layer OLMoE-shaped checkpoint (H=%d, %d experts, I=%d)...%n", layers, hidden,
                    experts, intermediate);
            long bytes = SyntheticCheckpoint.of("olmoe").layers(layers).hidden(hidden).heads(8, 8, hidden / 8)
                    .experts(experts, 8, intermediate).vocab(1024).seed(2).write(dir);
            System.out.printf("checkpoint   %s on disk, %d layers of ~%s; child heap -Xmx%dm (%.1fx smaller)%n",
                    Memory.human(bytes), layers, Memory.human(bytes / layers), heapMb, bytes / (heapMb * 1e6));
            for (String mode : skipResident ? new String[] {"stream"} : new String[] {"stream", "resident"}) {
                JsonObject r = BenchStreamProbe.probe(dir, mode, heapMb);
                long base = r.get("rss_before_model").getAsLong();
                long peak = r.get("peak_rss").getAsLong();
                System.out.printf("%-12s peak RSS %s (%s before loading the model; +%s = %.2fx the checkpoint) in %.1f s%n",
                        mode, Memory.human(peak), Memory.human(base), Memory.human(peak - base),
                        (peak - base) / (double) bytes, r.get("seconds").getAsDouble());
            }
        } finally {
            deleteTree(tmp);
        }
        return 0;
    }
}
