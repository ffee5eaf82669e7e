package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.LoglikelihoodEngine;
import dev.moefrontier.harness.eval.ResponseCache;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier bench loglikelihood}: loglikelihood requests/s for MMLU- and ARC-shaped requests, cold and cached. */
@Command(name = "loglikelihood", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Loglikelihood requests/s on a synthetic OLMoE-shaped checkpoint (or --model DIR).",
            "MMLU-shaped: a long context and four one-token answers (one forward per question);",
            "ARC-shaped: a short context and four multi-token answers (one forward per answer).",
            "Each is run cold, then again from the response cache. With --residency stream the batches run layer-major."})
final class LoglikelihoodBench implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Benchmark this checkpoint instead of a synthetic one.")
    Path model;

    @Option(names = "--layers", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--hidden", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int experts;

    @Option(names = "--intermediate", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
    int intermediate;

    @Option(names = "--questions", defaultValue = "64", description = "MMLU-shaped questions. Default: ${DEFAULT-VALUE}.")
    int questions;

    @Option(names = "--context", defaultValue = "256", description = "Longest MMLU-shaped context in tokens. Default: ${DEFAULT-VALUE}.")
    int context;

    @Option(names = "--docs", defaultValue = "64", description = "ARC-shaped documents. Default: ${DEFAULT-VALUE}.")
    int docs;

    @Option(names = "--batch-tokens", defaultValue = "4096", description = "Padded tokens per batch. Default: ${DEFAULT-VALUE}.")
    int batchTokens;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws IOException {
        Path tmp = Files.createTempDirectory("frontier-ll");
        try {
            Path dir = model != null ? model : BenchCommand.olmoeShaped(tmp, layers, hidden, experts, 8, intermediate);
            try (MoeTransformer m = runtime.open(dir)) {
                int vocab = m.config().vocabSize();
                Random r = new Random(0);
                List<LoglikelihoodEngine.Query> mmlu = new ArrayList<>();
                for (int q = 0; q < questions; q++) {
                    int[] ctx = r.ints(context / 2 + r.nextInt(context / 2 + 1), 0, vocab).toArray();
                    for (int a = 0; a < 4; a++) {
                        mmlu.add(new LoglikelihoodEngine.Query(ctx, new int[] {r.nextInt(vocab)}));
                    }
                }
                List<LoglikelihoodEngine.Query> arc = new ArrayList<>();
                for (int d = 0; d < docs; d++) {
                    int[] ctx = r.ints(24 + r.nextInt(40), 0, vocab).toArray();
                    for (int a = 0; a < 4; a++) {
                        arc.add(new LoglikelihoodEngine.Query(ctx, r.ints(2 + r.nextInt(9), 0, vocab).toArray()));
                    }
                }
                System.out.printf("model        %s, %d layers, H=%d, %d experts, V=%d, %s weights on %s%n", m.config().modelType(),
                        m.config().numLayers(), m.config().hiddenSize(), m.config().moe().numExperts(), vocab,
                        m.weights().residency().name().toLowerCase(java.util.Locale.ROOT), runtime.device());
                Progress.quiet(true);
                try (ResponseCache cache = new ResponseCache(tmp.resolve("responses.tsv"))) {
                    run(m, cache, "mmlu-shaped", mmlu);
                    run(m, cache, "arc-shaped", arc);
                    run(m, cache, "cached", concat(mmlu, arc));
                }
            }
        } finally {
            BenchCommand.deleteTree(tmp);
        }
        return 0;
    }

    private void run(MoeTransformer m, ResponseCache cache, String label, List<LoglikelihoodEngine.Query> queries) {
        try (EvalContext ctx = EvalContext.builder().setModel(m).optBatchTokens(batchTokens).optCache(cache).build()) {
            long t0 = System.nanoTime();
            ctx.engine().loglikelihood(queries, label);
            double secs = (System.nanoTime() - t0) / 1e9;
            LoglikelihoodEngine.Stats s = ctx.engine().stats();
            System.out.printf("%-12s %5d requests in %6.2f s: %8.1f requests/s  (%d forwarded inputs, %d batches, %.0f tokens/s)%n",
                    label, s.requests(), secs, s.requests() / secs, s.inputs(), s.batches(), s.tokens() / secs);
        }
    }

    private static List<LoglikelihoodEngine.Query> concat(List<LoglikelihoodEngine.Query> a, List<LoglikelihoodEngine.Query> b) {
        List<LoglikelihoodEngine.Query> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
