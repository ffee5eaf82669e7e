package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.ReferenceCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier check}. */
@Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare a run's frontier.csv with a reference; exit 1 on a regression.",
            "The reference folder holds frontier.csv and tolerances.json ({\"default\": {\"abs\": a, \"rel\": r}, \"metrics\":",
            "{\"ppl\": {...}, ...}, \"compression_abs\": c}). A value fails when |run - reference| > max(abs, rel |reference|);",
            "reference rows missing from the run fail too. The report lists every difference."})
final class CheckCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "Run folder (or its frontier.csv).")
    Path run;

    @Option(names = "--against", required = true, paramLabel = "REF", description = "Reference folder, e.g. results/reference/demo.")
    Path against;

    @Override
    public Integer call() throws Exception {
        Path csv = Files.isDirectory(run) ? run.resolve("frontier.csv") : run;
        List<ReferenceCheck.Finding> f = ReferenceCheck.check(csv, against);
        System.out.println(ReferenceCheck.report(f, ReferenceCheck.rows(against.resolve("frontier.csv"))));
        return f.stream().anyMatch(ReferenceCheck.Finding::fails) ? 1 : 0;
    }
}
