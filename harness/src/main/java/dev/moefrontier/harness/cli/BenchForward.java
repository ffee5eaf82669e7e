package dev.moefrontier.harness.cli;

import static dev.moefrontier.harness.cli.BenchCommand.deleteTree;
import static dev.moefrontier.harness.cli.FlopModel.flopsPerToken;
import static dev.moefrontier.harness.cli.FlopModel.matmulGflops;

import ai.djl.Device;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.model.TokenBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier bench forward}. */
@Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Forward tokens/s next to the matmul roofline.",
            "Forward tokens/s of an OLMoE-shaped synthetic layer stack (or --model DIR) next to the measured GFLOP/s",
            "of one large matmul on the same device, and the achieved fraction of that roofline.",
            "Defaults are OLMoE-1B-7B's expert topology (64 experts, top-8, 16 heads of 128) at half its width."
        })
final class BenchForward implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Benchmark this checkpoint instead of a synthetic one.")
    Path model;

    @Option(names = "--layers", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--hidden", defaultValue = "1024", description = "Default: ${DEFAULT-VALUE} (OLMoE: 2048).")
    int hidden;

    @Option(names = "--heads", defaultValue = "8", description = "Default: ${DEFAULT-VALUE} (OLMoE: 16).")
    int heads;

    @Option(names = "--head-dim", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int headDim;

    @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int experts;

    @Option(names = "--topk", defaultValue = "8", description = "Default: ${DEFAULT-VALUE}.")
    int topk;

    @Option(names = "--intermediate", defaultValue = "512", description = "Default: ${DEFAULT-VALUE} (OLMoE: 1024).")
    int intermediate;

    @Option(names = "--vocab", defaultValue = "4096", description = "Default: ${DEFAULT-VALUE}.")
    int vocab;

    @Option(names = "--batch", defaultValue = "2", description = "Sequences per forward. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--seq-len", defaultValue = "256", description = "Tokens per sequence. Default: ${DEFAULT-VALUE}.")
    int seqLen;

    @Option(names = "--reps", defaultValue = "3", description = "Timed forwards (best is reported). Default: ${DEFAULT-VALUE}.")
    int reps;

    @Option(names = "--numerics-compare", paramLabel = "ROUNDS", arity = "0..1", fallbackValue = "3",
            description = "Measure the cost of the reproducible numerics: run the forward in fresh JVMs, reproducible and fast"
                    + " alternately for ROUNDS rounds (default 3), and print both medians and their ratio.")
    Integer compareRounds;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        Path dir = model;
        Path tmp = null;
        if (compareRounds != null) {
            try {
                if (dir == null) {
                    tmp = Files.createTempDirectory("frontier-bench");
                    dir = tmp.resolve("olmoe-synthetic");
                    SyntheticCheckpoint.of("olmoe").layers(layers).hidden(hidden).heads(heads, heads, headDim)
                            .experts(experts, topk, intermediate).vocab(vocab).seed(1).write(dir);
                }
                compareNumerics(dir);
            } finally {
                deleteTree(tmp);
            }
            return 0;
        }
        Device device = runtime.device();
        try {
            if (dir == null) {
                tmp = Files.createTempDirectory("frontier-bench");
                dir = tmp.resolve("olmoe-synthetic");
                System.out.printf("generating OLMoE-shaped checkpoint: %d layers, H=%d, %d experts (top-%d, I=%d)...%n",
                        layers, hidden, experts, topk, intermediate);
                SyntheticCheckpoint.of("olmoe").layers(layers).hidden(hidden).heads(heads, heads, headDim)
                        .experts(experts, topk, intermediate).vocab(vocab).seed(1).write(dir);
            }
            try (MoeTransformer m = MoeTransformer.builder().setPath(dir).optDevice(device)
                    .optResidency(ModelWeights.Residency.RESIDENT).build()) {
                ModelConfig c = m.config();
                Random r = new Random(0);
                List<int[]> seqs = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    seqs.add(r.ints(seqLen, 0, c.vocabSize()).toArray());
                }
                TokenBatch tb = new TokenBatch(seqs);
                run(m, tb); // warm-up
                double best = Double.MAX_VALUE;
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    run(m, tb);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                double tokens = (double) batch * seqLen;
                double tps = tokens / best;
                double fpt = flopsPerToken(c, seqLen);
                double achieved = tps * fpt / 1e9;
                int n = 2048;
                double roof = matmulGflops(device, n, 5);
                System.out.printf("model        %s, %d layers, H=%d, %d experts top-%d, I=%d, V=%d (%s)%n", c.modelType(),
                        c.numLayers(), c.hiddenSize(), c.moe().numExperts(), c.moe().topK(), c.moe().intermediate(),
                        c.vocabSize(), device.getDeviceType());
                System.out.printf("forward      %d x %d tokens in %.3f s (best of %d): %.0f tokens/s%n", batch, seqLen, best, reps, tps);
                System.out.printf("compute      %.2f GFLOP/token -> %.1f GFLOP/s achieved%n", fpt / 1e9, achieved);
                System.out.printf("roofline     %dx%dx%d float32 matmul: %.1f GFLOP/s%n", n, n, n, roof);
                System.out.printf("fraction     %.1f%% of the matmul roofline%n", 100 * achieved / roof);
            }
        } finally {
            deleteTree(tmp);
        }
        return 0;
    }

    /** Alternating child-JVM forwards in both numerics modes; prints medians and the reproducible/fast ratio. */
    private void compareNumerics(Path dir) throws IOException, InterruptedException {
        java.util.Map<String, List<Double>> tps = new java.util.LinkedHashMap<>();
        java.util.Map<String, List<Double>> roof = new java.util.LinkedHashMap<>();
        for (int round = 0; round < compareRounds; round++) {
            for (String mode : List.of("reproducible", "fast")) {
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                        System.getProperty("java.class.path"), Main.class.getName(), "bench", "forward", "--model", dir.toString(),
                        "--numerics", mode, "--batch", Integer.toString(batch), "--seq-len", Integer.toString(seqLen), "--reps",
                        Integer.toString(reps)));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
                pb.environment().put("DJL_OFFLINE", "true");
                pb.environment().put("OPT_OUT_TRACKING", "true");
                Process p = pb.start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("bench forward --numerics " + mode + " failed: " + out);
                }
                java.util.regex.Matcher t = java.util.regex.Pattern.compile(": ([0-9.]+) tokens/s").matcher(out);
                java.util.regex.Matcher g = java.util.regex.Pattern.compile("matmul: ([0-9.]+) GFLOP/s").matcher(out);
                if (!t.find() || !g.find()) {
                    throw new IllegalStateException("unexpected bench output: " + out);
                }
                tps.computeIfAbsent(mode, k -> new ArrayList<>()).add(Double.parseDouble(t.group(1)));
                roof.computeIfAbsent(mode, k -> new ArrayList<>()).add(Double.parseDouble(g.group(1)));
                System.out.printf("round %d %-13s %8.0f tokens/s   matmul %6.1f GFLOP/s%n", round + 1, mode, Double.parseDouble(t.group(1)),
                        Double.parseDouble(g.group(1)));
            }
        }
        double rt = median(tps.get("reproducible"));
        double ft = median(tps.get("fast"));
        System.out.printf("median       reproducible %.0f tokens/s, fast %.0f tokens/s: reproducible/fast = %.2f%n", rt, ft, rt / ft);
        System.out.printf("matmul       reproducible %.1f GFLOP/s, fast %.1f GFLOP/s: reproducible/fast = %.2f%n",
                median(roof.get("reproducible")), median(roof.get("fast")), median(roof.get("reproducible")) / median(roof.get("fast")));
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        java.util.Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static void run(MoeTransformer m, TokenBatch tb) {
        m.run(List.of(tb), ForwardObserver.NONE, (i, b, hidden) -> m.logits(hidden).get(0).toFloatArray());
    }
}
