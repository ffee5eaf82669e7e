package dev.moefrontier.minis;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier mini-data}. */
@Command(name = "mini-data", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write the minis' data files (deterministic, from the corpus generator).",
            "calibration.jsonl (calibration split), mini_ppl.jsonl (held-out lines, per-domain perplexity) and mini_mc.jsonl",
            "(per-domain multiple choice): the formats 'frontier eval --tasks mini_ppl,mini_mc' and --calibration read."})
final class MiniDataCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into.")
    Path out;

    @Override
    public Integer call() throws Exception {
        MiniData.write(out);
        System.out.printf("wrote %s (%s): %s%n", out, Corpus.VERSION, String.join(", ", MiniData.FILES));
        return 0;
    }
}
