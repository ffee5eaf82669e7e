package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.sweep.Collector;
import dev.moefrontier.harness.sweep.RunDirectory;
import dev.moefrontier.harness.sweep.RunManifest;
import dev.moefrontier.harness.sweep.RunSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier collect}. */
@Command(name = "collect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Merge a run folder's cell results into its outputs.",
            "frontier.csv, table.md, the analyzers' tables (hodge_balance.csv/.md, harmonic_energy.csv, claims.csv), scores.csv,",
            "plots/ and report.html, from whatever cells are finished (run it again when more are). DIR is a run folder or a plan folder (its run/)."})
final class CollectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR")
    Path dir;

    @Option(names = "--name", description = "Run name in the outputs (default: the manifest's, else the folder name).")
    String name;

    @Override
    public Integer call() throws Exception {
        Path run = Files.isDirectory(dir.resolve("cells")) || !Files.isDirectory(dir.resolve("run")) ? dir : dir.resolve("run");
        if (!Files.isDirectory(run.resolve("cells"))) {
            throw CheckpointException.of(run, "no cells/ folder: not a run folder (or nothing has finished yet)");
        }
        String n = name;
        if (n == null && Files.isRegularFile(run.resolve("manifest.json"))) {
            n = RunManifest.read(run.resolve("manifest.json")).spec().get("name").getAsString();
        }
        RunSummary r = Collector.collect(new RunDirectory(run), n != null ? n : run.toAbsolutePath().getFileName().toString(), System.err::println);
        SweepCommand.summarize(r, run);
        return 0;
    }
}
