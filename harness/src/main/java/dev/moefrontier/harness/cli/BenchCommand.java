package dev.moefrontier.harness.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.runtime.Engines;
import dev.moefrontier.harness.util.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier bench}: speed and memory figures, printed (not asserted). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks that print their figures (forward throughput, streaming memory).",
            "forward: tokens/s against the matmul roofline; stream: peak RSS of a streamed forward;",
            "aimer: AIMER scoring time; calibration: calibration-pass tokens/s;",
            "loglikelihood: evaluation requests/s (MMLU- and ARC-shaped, cold and cached);",
            "digest: the content hash + NaN/Inf scan every cache key rests on, against a plain read."},
        subcommands = {BenchCommand.Forward.class, BenchCommand.StreamBench.class, BenchCommand.StreamProbe.class,
            BenchCommand.Aimer.class, BenchCommand.Calibration.class, LoglikelihoodBench.class, BenchCommand.Digest.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Best-of-n GFLOP/s of an n×n×n float32 matmul on {@code device}. */
    static double matmulGflops(Device device, int n, int reps) {
        try (NDManager m = dev.moefrontier.harness.runtime.Engines.manager(device)) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).toFloatArray(); // warm-up
            double best = Double.MAX_VALUE;
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.get(0).toFloatArray(); // synchronizes
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }

    /** Forward FLOPs per token: 2 × (multiply-adds of projections, router, k experts, shared expert, head, attention). */
    static double flopsPerToken(ModelConfig c, int seqLen) {
        double h = c.hiddenSize();
        var a = c.attention();
        double macs = 0;
        for (var l : c.layers()) {
            if (l.mixer() == ModelConfig.Mixer.ATTENTION) {
                double q = (double) a.heads() * a.headDim() * (a.outputGate() ? 2 : 1);
                double kv = (double) a.kvHeads() * a.headDim();
                macs += h * q + 2 * h * kv + (double) a.heads() * a.headDim() * h;
                macs += 2.0 * seqLen * a.heads() * a.headDim(); // scores and values over the full (masked) context
            } else {
                var s = c.linear();
                double vd = (double) s.valueHeads() * s.valueDim();
                macs += h * (s.convChannels() + vd + 2 * s.valueHeads()) + vd * h;
                macs += 2.0 * s.valueHeads() * s.keyDim() * s.valueDim() * 2; // state update and readout
            }
            if (l.mlp() == ModelConfig.Mlp.MOE) {
                var m = c.moe();
                macs += h * m.numExperts() + (double) m.topK() * 3 * h * m.intermediate();
                if (m.sharedIntermediate() > 0) {
                    macs += 3 * h * m.sharedIntermediate() + h;
                }
            } else {
                macs += 3 * h * c.moe().denseIntermediate();
            }
        }
        macs += h * c.vocabSize();
        return 2 * macs;
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    /** {@code frontier bench forward}. */
    @Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Forward tokens/s next to the matmul roofline.",
                "Forward tokens/s of an OLMoE-shaped synthetic layer stack (or --model DIR) next to the measured GFLOP/s",
                "of one large matmul on the same device, and the achieved fraction of that roofline.",
                "Defaults are OLMoE-1B-7B's expert topology (64 experts, top-8, 16 heads of 128) at half its width."
            })
    static final class Forward implements Callable<Integer> {
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

    /** {@code frontier bench stream}. */
    @Command(name = "stream", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Peak memory of a streamed forward on a checkpoint larger than the heap.",
                "Writes a synthetic checkpoint several times larger than the child JVM's heap (-Xmx),",
                "run a forward on it with --residency stream and with resident layers, each in a fresh JVM, and print",
                "peak RSS next to the checkpoint size."
            })
    static final class StreamBench implements Callable<Integer> {
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
                    JsonObject r = probe(dir, mode, heapMb);
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

    /** A synthetic OLMoE-shaped checkpoint in a temporary directory. */
    static Path olmoeShaped(Path tmp, int layers, int hidden, int experts, int topk, int intermediate) throws IOException {
        Path dir = tmp.resolve("olmoe-synthetic");
        System.out.printf("generating OLMoE-shaped checkpoint: %d layers, H=%d, %d experts (top-%d, I=%d)...%n", layers, hidden,
                experts, topk, intermediate);
        SyntheticCheckpoint.of("olmoe").layers(layers).hidden(hidden).heads(8, 8, hidden / 8).experts(experts, topk, intermediate)
                .vocab(1024).seed(3).write(dir);
        return dir;
    }

    /** {@code frontier bench digest}. */
    @Command(name = "digest", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The cost of a checkpoint's content fingerprint: SHA-256 of every byte with the NaN/Inf scan beside",
                "it (what the first open of a checkpoint pays; later opens read the remembered sidecar), the hash alone,",
                "and a plain sequential read of the same files, each the best of --reps runs from the page cache."})
    static final class Digest implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR")
        Path model;

        @Option(names = "--reps", defaultValue = "3", description = "Timed runs (best is reported). Default: ${DEFAULT-VALUE}.")
        int reps;

        @Override
        public Integer call() throws IOException {
            try (dev.moefrontier.harness.io.Checkpoint c = dev.moefrontier.harness.io.Checkpoint.open(model)) {
                double gb = c.totalBytes() / 1e9;
                double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(8 << 20);
                for (int r = 0; r < reps + 1; r++) { // the first round warms the page cache and the JIT
                    long t0 = System.nanoTime();
                    for (var f : c.files()) {
                        dev.moefrontier.harness.io.ContentDigest.compute(f, true);
                    }
                    long t1 = System.nanoTime();
                    for (var f : c.files()) {
                        dev.moefrontier.harness.io.ContentDigest.compute(f, false);
                    }
                    long t2 = System.nanoTime();
                    for (var f : c.files()) {
                        try (var ch = java.nio.channels.FileChannel.open(f.path())) {
                            long pos = 0;
                            int n;
                            while ((n = ch.read(buf.clear(), pos)) > 0) {
                                pos += n;
                            }
                        }
                    }
                    long t3 = System.nanoTime();
                    if (r > 0) {
                        best[0] = Math.min(best[0], (t1 - t0) / 1e9);
                        best[1] = Math.min(best[1], (t2 - t1) / 1e9);
                        best[2] = Math.min(best[2], (t3 - t2) / 1e9);
                    }
                }
                System.out.printf(java.util.Locale.ROOT, "digest %.2f GB: hash + scan %.2f s (%.2f GB/s), hash only %.2f s, read only %.2f s;"
                        + " hash + scan / read = %.1f%n", gb, best[0], gb / best[0], best[1], best[2], best[0] / best[2]);
            }
            return 0;
        }
    }

    /** {@code frontier bench aimer}. */
    @Command(name = "aimer", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"AIMER scoring time on a synthetic 64-expert x 16-layer OLMoE-shaped checkpoint.",
                "AIMER reads expert weights straight from the checkpoint's memory maps (no forward pass)."})
    static final class Aimer implements Callable<Integer> {
        @Option(names = "--layers", defaultValue = "16", description = "Default: ${DEFAULT-VALUE}.")
        int layers;

        @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
        int experts;

        @Option(names = "--hidden", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
        int hidden;

        @Option(names = "--intermediate", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
        int intermediate;

        @Option(names = "--reps", defaultValue = "3", description = "Timed runs (best is reported). Default: ${DEFAULT-VALUE}.")
        int reps;

        @Override
        public Integer call() throws IOException {
            var scorer = (dev.moefrontier.harness.compress.ExpertScorer)
                    dev.moefrontier.harness.compress.CompressorCatalog.load().get("aimer");
            Path tmp = Files.createTempDirectory("frontier-aimer");
            try {
                Path dir = olmoeShaped(tmp, layers, hidden, experts, 8, intermediate);
                try (MoeTransformer m = MoeTransformer.builder().setPath(dir).optResidency(ModelWeights.Residency.STREAM).build()) {
                    var ctx = dev.moefrontier.harness.compress.CompressionContext.builder().setModel(m).build();
                    var opts = dev.moefrontier.harness.compress.Options.none();
                    scorer.scores(ctx, opts); // warm-up: page cache and JIT
                    double best = Double.MAX_VALUE;
                    for (int i = 0; i < reps; i++) {
                        long t0 = System.nanoTime();
                        scorer.scores(ctx, opts);
                        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    }
                    long params = (long) layers * experts * 3L * hidden * intermediate;
                    System.out.printf("aimer        %d layers x %d experts (H=%d, I=%d): %.3f s (best of %d), %.0f M params/s%n",
                            layers, experts, hidden, intermediate, best, reps, params / best / 1e6);
                }
            } finally {
                deleteTree(tmp);
            }
            return 0;
        }
    }

    /** {@code frontier bench calibration}. */
    @Command(name = "calibration", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Calibration-pass throughput (tokens/s) on a synthetic OLMoE-shaped checkpoint.",
                "Collects the statistics the --compressor declares (default reap: routing and output norms; wanda adds",
                "the input norms of every expert linear layer)."})
    static final class Calibration implements Callable<Integer> {
        @Option(names = "--layers", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.")
        int layers;

        @Option(names = "--hidden", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
        int hidden;

        @Option(names = "--experts", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
        int experts;

        @Option(names = "--intermediate", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
        int intermediate;

        @Option(names = "--windows", defaultValue = "16", description = "Calibration windows. Default: ${DEFAULT-VALUE}.")
        int windows;

        @Option(names = "--length", defaultValue = "256", description = "Tokens per window. Default: ${DEFAULT-VALUE}.")
        int length;

        @Option(names = "--compressor", defaultValue = "reap", paramLabel = "NAME",
                description = "Collect the statistics this compressor declares (its default options). Default: ${DEFAULT-VALUE}.")
        String compressor;

        @Override
        public Integer call() throws IOException {
            Path tmp = Files.createTempDirectory("frontier-calib");
            try {
                Path dir = olmoeShaped(tmp, layers, hidden, experts, 8, intermediate);
                Random r = new Random(0);
                List<int[]> w = new ArrayList<>();
                for (int i = 0; i < windows; i++) {
                    w.add(r.ints(length, 0, 1024).toArray());
                }
                Path ids = tmp.resolve("calib.json");
                StringBuilder sb = new StringBuilder("{\"input_ids\": [");
                for (int i = 0; i < w.size(); i++) {
                    sb.append(i == 0 ? "" : ",").append(java.util.Arrays.toString(w.get(i)));
                }
                Files.writeString(ids, sb.append("]}").toString());
                var comp = dev.moefrontier.harness.compress.CompressorCatalog.shared().get(compressor);
                var stats = comp.statistics(dev.moefrontier.harness.compress.Options.parse(comp.name(), comp.options(), java.util.Map.of()));
                try (MoeTransformer m = MoeTransformer.open(dir)) {
                    var data = dev.moefrontier.harness.calib.CalibrationData.load(
                            dev.moefrontier.harness.calib.CalibrationSpec.tokenIds(ids), m);
                    var cal = new dev.moefrontier.harness.calib.Calibrator(null, 4096, s -> { });
                    long t0 = System.nanoTime();
                    cal.collect(m, data, stats, dev.moefrontier.harness.model.ModelPatch.NONE);
                    double secs = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("calibration  %d x %d tokens, %s: %.2f s, %.0f tokens/s%n", windows, length,
                            stats.stream().map(dev.moefrontier.harness.calib.CalibrationStatistic::id).sorted().toList(), secs,
                            windows * (double) length / secs);
                }
            } finally {
                deleteTree(tmp);
            }
            return 0;
        }
    }

    /** Runs {@code bench stream-probe} in a fresh JVM and returns its JSON report. */
    static JsonObject probe(Path dir, String residency, int heapMb) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx" + heapMb + "m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "bench", "stream-probe", "--model", dir.toString(), "--residency", residency);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("stream probe (" + residency + ") failed with status " + p.exitValue() + ": " + out);
        }
        String last = out.substring(out.lastIndexOf('\n') + 1);
        return JsonParser.parseString(last).getAsJsonObject();
    }

    /** {@code frontier bench stream-probe}: measures one forward in this JVM; prints a JSON line. */
    @Command(name = "stream-probe", hidden = true)
    static final class StreamProbe implements Callable<Integer> {
        @Option(names = "--model", required = true)
        Path model;

        @Option(names = "--residency", required = true)
        String residency;

        @Override
        public Integer call() {
            Engines.pytorch();
            try (NDManager warm = Engines.manager(ai.djl.Device.cpu())) {
                warm.ones(new Shape(4, 4)).matMul(warm.ones(new Shape(4, 4))).toFloatArray(); // load natives first
            }
            long before = Memory.rss();
            Memory.resetPeak();
            long t0 = System.nanoTime();
            ModelWeights.Residency r = residency.equals("stream") ? ModelWeights.Residency.STREAM : ModelWeights.Residency.RESIDENT;
            float checksum = 0;
            try (MoeTransformer m = MoeTransformer.builder().setPath(model).optResidency(r).build();
                    NDManager nd = Engines.manager(ai.djl.Device.cpu())) {
                int[] ids = new Random(1).ints(64, 0, m.config().vocabSize()).toArray();
                float[] logits = m.logits(ids, ForwardObserver.NONE, nd).toFloatArray();
                for (float f : logits) {
                    checksum += f;
                }
            }
            JsonObject o = new JsonObject();
            o.addProperty("residency", residency);
            o.addProperty("rss_before_model", before);
            o.addProperty("peak_rss", Memory.peakRss());
            o.addProperty("max_heap", Runtime.getRuntime().maxMemory());
            o.addProperty("seconds", (System.nanoTime() - t0) / 1e9);
            o.addProperty("checksum", checksum);
            System.out.println(o);
            return 0;
        }
    }
}
