package dev.moefrontier.minis;

import dev.moefrontier.harness.cli.Main;
import dev.moefrontier.harness.cli.RuntimeOptions;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier train-mini}. */
@Command(name = "train-mini", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an embedded mini backbone from scratch on the generated corpus.",
            "",
            "Trains the byte-level BPE tokenizer, initializes the mini, trains it with DJL autograd (AdamW, the router",
            "load-balancing loss, seeded) and writes a Hugging Face checkpoint directory: config.json, model.safetensors",
            "(F16), tokenizer.json and manifest.json (command, seed, corpus version, steps, losses, wall time).",
            "Minis: olmoe-mini (64 experts, top-8), qwen35-mini-a and qwen35-mini-b (256 experts, top-8, shared expert,",
            "Gated DeltaNet : full attention 3:1). Retraining reproduces the quality bar, not necessarily the same bits."})
final class TrainMiniCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "olmoe-mini, qwen35-mini-a or qwen35-mini-b.")
    String name;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ./NAME); replaced when it exists.")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default: the mini's own).")
    Integer steps;

    @Option(names = "--batch", paramLabel = "N", description = "Windows per step (default: the mini's own).")
    Integer batch;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        MiniSpec spec;
        try {
            spec = MiniSpec.get(name);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage());
        }
        if ((steps != null && steps < 1) || (batch != null && batch < 1)) {
            throw new Main.UserError("--steps and --batch must be positive");
        }
        spec = spec.withTraining(steps != null ? steps : spec.steps(), batch != null ? batch : spec.batch());
        Path dir = out != null ? out : Path.of(name);
        String command = "frontier train-mini " + name + (steps != null ? " --steps " + steps : "") + (batch != null ? " --batch " + batch : "");
        MiniTraining.train(spec, dir, runtime.device(), command, System.out::println);
        return 0;
    }
}
