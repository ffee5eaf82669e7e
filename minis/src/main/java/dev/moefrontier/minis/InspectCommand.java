package dev.moefrontier.minis;

import dev.moefrontier.harness.cli.Main;

import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.model.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier inspect}. */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Report a mini's quality bar.",
            "",
            "Per-domain held-out perplexity next to a unigram baseline, dense multiple-choice accuracy next to chance,",
            "routing specialization per MoE layer (mutual information between a token's domain and its experts, per-expert",
            "token shares), and a frequency-pruned model at 66%% next to the dense one. --check exits 1 when a criterion fails."})
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A mini's name (olmoe-mini, qwen35-mini-a, qwen35-mini-b) or a checkpoint directory.")
    String model;

    @Option(names = "--data", paramLabel = "DIR", description = "The minis' data (default: the bundled copy; see 'frontier mini-data').")
    Path data;

    @Option(names = "--cache", paramLabel = "DIR", description = "Calibration cache (default: $FRONTIER_CACHE or ~/.cache/moe-frontier).")
    Path cache;

    @Option(names = "--check", description = "Exit with status 1 unless every quality-bar criterion holds.")
    boolean check;

    @Override
    public Integer call() throws Exception {
        Path dir = resolve(model);
        Path d = data != null ? data : BundledModels.path(BundledModels.MINI_DATA);
        MiniInspection.Report r = MiniInspection.run(dir, d, cache != null ? cache : Calibrator.defaultCacheDir());
        System.out.println("model      " + r.summary());
        System.out.println("training   " + r.training());
        System.out.println();
        System.out.printf("%-10s %9s %9s %8s %8s%n", "domain", "ppl", "unigram", "acc", "chance");
        for (MiniInspection.DomainRow row : r.domains()) {
            System.out.printf("%-10s %9.3f %9.3f %8.3f %8.3f%n", row.domain(), row.ppl(), row.unigramPpl(), row.acc(), row.chance());
        }
        System.out.printf("%-10s %9.3f %9s %8.3f%n", "all", r.densePpl(), "", r.denseAcc());
        System.out.println();
        System.out.printf("%-10s %12s %10s %10s %8s%n", "MoE layer", "MI (bits)", "max share", "min share", "used");
        for (MiniInspection.LayerRouting l : r.routing()) {
            System.out.printf("%-10d %12.3f %9.2f%% %9.3f%% %8d%n", l.layer(), l.mutualInformation(), 100 * l.maxShare(), 100 * l.minShare(), l.expertsUsed());
        }
        if (!Double.isNaN(r.prunedPpl())) {
            System.out.printf("%nfrequency-pruned at %.0f%%: ppl %.3f (dense %.3f, x%.2f), acc %.3f (dense %.3f)%n", 100 * MiniInspection.PRUNE_RATIO,
                    r.prunedPpl(), r.densePpl(), r.prunedPpl() / r.densePpl(), r.prunedAcc(), r.denseAcc());
        }
        System.out.println();
        for (MiniInspection.Check c : r.checks()) {
            System.out.printf("%s  %s (%s)%n", c.passed() ? "PASS" : "FAIL", c.criterion(), c.detail());
        }
        System.out.println(r.passed() ? "quality bar met" : "quality bar NOT met");
        return check && !r.passed() ? 1 : 0;
    }

    static Path resolve(String model) {
        if (BundledModels.backbones().contains(model) && BundledModels.exists(model)) {
            return BundledModels.path(model);
        }
        Path p = Path.of(model);
        if (!Files.isDirectory(p)) {
            throw new Main.UserError(model + ": not a checkpoint directory nor a bundled mini (" + String.join(", ", BundledModels.backbones()) + ")");
        }
        return p;
    }
}
