package dev.moefrontier.compressors.scale;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.cli.BenchCommand;
import dev.moefrontier.harness.cli.FlopModel;
import dev.moefrontier.harness.cli.Main;
import dev.moefrontier.harness.model.Flops;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code frontier bench scale}: the whole pipeline at real dimensions, each stage a child {@code frontier} process so
 * its wall time and peak resident set are its own (the child writes them with {@code -Dfrontier.metrics}). Shares of a
 * FLOP bound are against the float32 matmul roofline measured at the start and at the end of the same run (the larger).
 */
@Command(name = "scale", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The whole pipeline on a full-depth OLMoE-1B-7B-shaped and a Qwen3.5-35B-A3B-shaped BF16 sharded checkpoint:",
            "synthesize, calibrate (REAP + frequency), AIMER, merge barriers (local on one layer, full on a few merges),",
            "HodgeCover, export of a compressed checkpoint, evaluation, a plan estimate. Prints per stage the wall time,",
            "throughput, peak RSS and the share of its FLOP bound (or of the disk's sequential read) achieved, then a",
            "projection of the paper's grid from the measured rates. About 45 minutes on 2 cores; ~35 GB of disk."})
public final class BenchScale implements Callable<Integer> {
    @Option(names = "--backbones", split = ",", defaultValue = "olmoe,qwen35",
            description = "olmoe (16 layers, H 2048, 64 experts of 1024, V 50304) and/or qwen35 (a slice of Qwen3.5-35B-A3B). Default: ${DEFAULT-VALUE}.")
    List<String> backbones;

    @Option(names = "--work", paramLabel = "DIR", description = "Working folder (default: a temporary one, deleted at the end).")
    Path work;

    @Option(names = "--keep", description = "Keep the working folder (checkpoints, logs, metrics).")
    boolean keep;

    @Option(names = "--calib-windows", defaultValue = "8", description = "Calibration windows of --window tokens. Default: ${DEFAULT-VALUE}.")
    int calibWindows;

    @Option(names = "--window", defaultValue = "128", description = "Tokens per calibration window. Default: ${DEFAULT-VALUE}.")
    int window;

    @Option(names = "--barrier-windows", defaultValue = "1",
            description = "Windows the merge barriers use (the head's 2HV per row dominates local barriers at a real vocabulary). Default: ${DEFAULT-VALUE}.")
    int barrierWindows;

    @Option(names = "--full-merges", defaultValue = "8", description = "Pairs timed with full barriers. Default: ${DEFAULT-VALUE}.")
    int fullMerges;

    @Option(names = "--qwen-layers", defaultValue = "4", description = "Decoder layers of the Qwen3.5 slice (3 linear + 1 full attention per 4). Default: ${DEFAULT-VALUE}.")
    int qwenLayers;

    @Option(names = "--qwen-local-merges", defaultValue = "256",
            description = "Pairs timed with local barriers on the Qwen3.5 slice (all 32,640 take hours at V 248,320). Default: ${DEFAULT-VALUE}.")
    int qwenLocalMerges;

    @Option(names = "--eval-windows", defaultValue = "8", description = "mini_ppl windows the evaluation scores. Default: ${DEFAULT-VALUE}.")
    int evalWindows;

    @Option(names = "--ratio", defaultValue = "0.5", description = "Expert ratio of the exported checkpoint (REAP). Default: ${DEFAULT-VALUE}.")
    double ratio;

    @Option(names = "--tiny", description = "The same stages on tiny shapes (H 64): a smoke test of the pipeline, not a measurement.")
    boolean tiny;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the tables as Markdown to FILE.")
    Path out;

    private final List<Row> rows = new ArrayList<>();
    private final StringBuilder notes = new StringBuilder();
    private double roof;
    private int stageNo;
    private Child localStage;

    /** One line of the table. */
    record Row(String backbone, String stage, double wallS, long peakRss, String throughput, String share) {}

    /** A finished child process: its wall time and what it reported. */
    record Child(double wallS, JsonObject metrics, String log) {
        double num(String key) {
            return metrics.has(key) ? metrics.get(key).getAsDouble() : Double.NaN;
        }

        long peak() {
            return metrics.has("peak_rss_bytes") ? metrics.get("peak_rss_bytes").getAsLong() : -1;
        }
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        for (String b : backbones) {
            if (!b.equals("olmoe") && !b.equals("qwen35")) {
                throw new IllegalArgumentException("--backbones: unknown backbone '" + b + "' (olmoe, qwen35)");
            }
        }
        boolean temp = work == null;
        Path dir = temp ? Files.createTempDirectory("frontier-scale") : Files.createDirectories(work);
        try {
            double roofStart = FlopModel.matmulGflops(ai.djl.Device.cpu(), 2048, 5);
            System.out.printf(Locale.ROOT, "roofline     2048x2048x2048 float32 matmul: %.1f GFLOP/s (measured again at the end)%n", roofStart);
            Path data = dir.resolve("mini-data");
            if (!Files.exists(data.resolve("mini_ppl.jsonl"))) {
                child(dir, "mini-data", List.of("mini-data", "--out", data.toString()));
            }
            for (String b : backbones) {
                backbone(dir, b, data);
            }
            double roofEnd = FlopModel.matmulGflops(ai.djl.Device.cpu(), 2048, 5);
            roof = Math.max(roofStart, roofEnd); // the shares are against the better of the two (this machine's rate drifts)
            notes.insert(0, String.format(Locale.ROOT, "Shares are against a 2048x2048x2048 float32 matmul: %.1f GFLOP/s at the start, %.1f at the"
                    + " end; the larger is used.%n%n", roofStart, roofEnd));
            String table = resolveShares(table());
            System.out.println();
            System.out.print(table);
            if (out != null) {
                AtomicFiles.writeString(out, table);
                System.out.println("wrote " + out);
            }
        } finally {
            if (temp && !keep) {
                BenchCommand.deleteTree(dir);
            } else {
                System.out.println("working folder kept: " + dir);
            }
        }
        return 0;
    }

    private void backbone(Path work, String name, Path data) throws IOException, InterruptedException {
        boolean olmoe = name.equals("olmoe");
        String label = olmoe ? "OLMoE-1B-7B (16 layers)" : String.format(Locale.ROOT, "Qwen3.5-35B-A3B (%d of 40 layers)", qwenLayers);
        Path ckpt = work.resolve(name);
        List<String> synth = olmoe
                ? (tiny ? List.of("synth", "--type", "olmoe", "--layers", "2", "--hidden", "64", "--heads", "4", "--kv-heads", "4",
                        "--head-dim", "16", "--experts", "8", "--topk", "2", "--intermediate", "32", "--vocab", "1024")
                        : List.of("synth", "--type", "olmoe", "--layers", "16", "--hidden", "2048", "--heads", "16", "--kv-heads", "16",
                        "--head-dim", "128", "--experts", "64", "--topk", "8", "--intermediate", "1024", "--vocab", "50304"))
                : (tiny ? List.of("synth", "--type", "qwen3_5_moe", "--layers", Integer.toString(qwenLayers), "--hidden", "64", "--heads", "4",
                        "--kv-heads", "2", "--head-dim", "16", "--experts", "16", "--topk", "4", "--intermediate", "32", "--shared", "32",
                        "--vocab", "1024", "--full-attention-interval", "4")
                        : List.of("synth", "--type", "qwen3_5_moe", "--layers", Integer.toString(qwenLayers), "--hidden", "2048", "--heads", "16",
                        "--kv-heads", "2", "--head-dim", "256", "--experts", "256", "--topk", "8", "--intermediate", "512", "--shared", "512",
                        "--vocab", "248320", "--full-attention-interval", "4"));
        List<String> args = new ArrayList<>(synth);
        args.addAll(List.of("--dtype", "bf16", "--shard-mb", "4000", "--seed", "7", "--out", ckpt.toString()));
        if (!Files.exists(ckpt.resolve("config.json"))) {
            Child c = child(work, name + "-synth", args);
            long bytes = sizeOf(ckpt);
            add(label, "synthesize (BF16, sharded)", c, gbps(bytes, c.wallS()) + " written", "");
        }
        // A tokenizer for the evaluation (the olmoe-mini's: its ids lie inside any vocabulary here).
        try (InputStream in = BenchScale.class.getResourceAsStream("/dev/moefrontier/models/olmoe-mini/tokenizer.json")) {
            if (in == null) {
                throw new IllegalStateException("the olmoe-mini's tokenizer.json is not on the classpath (module minis)");
            }
            Files.copy(in, ckpt.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        ModelConfig cfg = ModelConfig.load(ckpt);
        long bytes = sizeOf(ckpt);
        Path calib = ids(work.resolve(name + "-calib.json"), calibWindows, cfg.vocabSize(), 11);
        Path bcalib = ids(work.resolve(name + "-barrier-calib.json"), barrierWindows, cfg.vocabSize(), 11);
        double layerFlops = Flops.forwardPerToken(cfg, window) - Flops.headPerToken(cfg);
        double expertBytes = 2.0 * cfg.moeLayers().size() * cfg.moe().numExperts() * 3.0 * cfg.hiddenSize() * cfg.moe().intermediate();

        double read = sequentialRead(ckpt);
        rows.add(new Row(label, "sequential read of the checkpoint", bytes / 1e9 / read, -1, gbps(bytes, bytes / 1e9 / read), ""));

        List<String> stream = List.of("--residency", "stream", "--no-cache");
        Child cal = child(work, name + "-calibration", List.of("bench", "calibration", "--model", ckpt.toString(), "--calibration",
                calib.toString(), "--compressor", "reap", "--residency", "stream"));
        double plain = cal.num("plain_s");
        double stats = cal.num("calibration_s");
        double tokens = cal.num("tokens");
        rows.add(new Row(label, "plain forward (stream)", plain, -1, tps(tokens, plain), share(tokens * layerFlops, plain)));
        rows.add(new Row(label, "calibration statistics (REAP)", stats, cal.peak(), tps(tokens, stats),
                share(tokens * layerFlops, stats) + String.format(Locale.ROOT, "; %+.0f%% over the plain forward", 100 * (stats / plain - 1))));

        Child sc = child(work, name + "-scores", concat(List.of("scores", "--model", ckpt.toString(), "--calibration", calib.toString(),
                "--criteria", "reap,frequency", "--out", work.resolve(name + "-scores.csv").toString()), stream));
        add(label, "scores reap,frequency (open + calibrate)", sc, tps(tokens, sc.wallS()), share(tokens * layerFlops, sc.wallS()));

        Child ai = child(work, name + "-aimer", concat(List.of("scores", "--model", ckpt.toString(), "--criteria", "aimer", "--out",
                work.resolve(name + "-aimer.csv").toString()), stream));
        add(label, "AIMER (weights only)", ai, gbps((long) expertBytes, ai.wallS()) + " of experts",
                String.format(Locale.ROOT, "%.0f%% of the sequential read", 100 * (expertBytes / ai.wallS()) / (bytes / read)));

        double bTokens = (double) barrierWindows * window;
        if (olmoe) {
            Child lb = child(work, name + "-barriers-local", concat(List.of("barriers", "--model", ckpt.toString(), "--layer", "0",
                    "--barrier", "local", "--calibration", bcalib.toString(), "--out", work.resolve(name + "-barriers.json").toString()), stream));
            double s = lb.num("barrier_s");
            add(label, String.format(Locale.ROOT, "local barriers, layer 0 (%.0f merges, %.0f tokens)", lb.num("merges"), bTokens), lb,
                    merges(lb.num("merges"), s), share(lb.num("flop_bound"), s));
            Child h = child(work, name + "-hodge", List.of("hodge", "--input", work.resolve(name + "-barriers.json").toString(), "--out",
                    work.resolve(name + "-hodge.json").toString()));
            add(label, "HodgeCover selection, layer 0 (4.5-4.10)", h, "", "");
            localStage = lb;
        } else {
            Child lb = child(work, name + "-barriers-local", concat(List.of("bench", "barriers", "--model", ckpt.toString(), "--calibration",
                    bcalib.toString(), "--layer", Integer.toString(cfg.moeLayers().get(0)), "--modes", "local", "--local-merges",
                    Integer.toString(qwenLocalMerges)), List.of("--residency", "stream")));
            double s = lb.num("local_s");
            add(label, String.format(Locale.ROOT, "local barriers, layer 0 (%.0f of %d pairs, %.0f tokens)", lb.num("local_merges"),
                    cfg.moe().numExperts() * (cfg.moe().numExperts() - 1) / 2, bTokens), lb, merges(lb.num("local_merges"), s),
                    share(lb.num("local_flop_bound"), s));
        }
        Child fb = child(work, name + "-barriers-full", concat(List.of("bench", "barriers", "--model", ckpt.toString(), "--calibration",
                bcalib.toString(), "--layer", Integer.toString(cfg.moeLayers().get(0)), "--modes", "full", "--full-merges",
                Integer.toString(fullMerges)), List.of("--residency", "stream")));
        double fs = fb.num("full_s");
        add(label, String.format(Locale.ROOT, "full barriers, layer 0 (%.0f merges, %.0f tokens)", fb.num("full_merges"), bTokens), fb,
                merges(fb.num("full_merges"), fs), share(fb.num("full_flop_bound"), fs));

        Path small = work.resolve(name + "-reap");
        BenchCommand.deleteTree(small);
        Child cp = child(work, name + "-compress", concat(List.of("compress", "--model", ckpt.toString(), "--compressor", "reap", "--ratio",
                Double.toString(ratio), "--calibration", calib.toString(), "--out", small.toString()), stream));
        long smallBytes = sizeOf(small);
        add(label, String.format(Locale.ROOT, "compress REAP %.0f%% + export", 100 * ratio), cp, gbps(smallBytes, cp.wallS()) + " written",
                tps(tokens, cp.wallS()) + " calibration");

        Child ev = child(work, name + "-eval", concat(List.of("eval", "--model", small.toString(), "--tasks", "mini_ppl", "--data",
                data.toString(), "--limit", Integer.toString(evalWindows), "--out", work.resolve(name + "-eval.json").toString()), stream));
        ModelConfig smallCfg = ModelConfig.load(small);
        double evTokens = ev.num("forward_tokens");
        add(label, "eval mini_ppl on the export", ev, tps(evTokens, ev.wallS()), share(evTokens * Flops.forwardPerToken(smallCfg, 128), ev.wallS()));

        if (olmoe) {
            Path spec = planSpec(work, ckpt, calib, data);
            Child pe = child(work, name + "-plan", List.of("plan", spec.toString(), "--estimate"));
            add(label, "plan --estimate (paper compressors, 33/66%)", pe, "", "");
            notes.append("plan --estimate of the paper's compressors at 33/66% on this checkpoint (").append(calibWindows).append(" x ")
                    .append(window).append(" calibration tokens, full barriers, mini_ppl), this machine:\n\n```\n")
                    .append(estimateLines(pe.log())).append("```\n\n");
            projection(localStage, fb, tokens * layerFlops / sc.wallS()); // the scores stage: open and calibrate, as a task would
        }
    }

    /** The paper's grid projected from this run's measured rates (methods.md §11's FLOP model, measured efficiencies). */
    private void projection(Child local, Child fullStage, double fwdRate) { // rates in FLOP/s
        double fullRate = fullStage.num("full_flop_bound") / fullStage.num("full_s"); // FLOP/s full barriers achieved here
        double localRate = local.num("flop_bound") / local.num("barrier_s");
        List<Object[]> nets = List.of(new Object[] {"OLMoE-1B-7B", config("olmoe", 16, 2048, 1024, 16, 16, 128, 64, 50304)},
                new Object[] {"Qwen3.5-35B-A3B", config("qwen3_5_moe", 40, 2048, 512, 16, 2, 256, 256, 248320)},
                new Object[] {"Qwen3.5-122B-A10B", config("qwen3_5_moe", 48, 3072, 1024, 32, 2, 256, 256, 248320)});
        int tokens = 128 * 2048;
        double gpu = 989e12 * 0.35; // H100/H200 dense BF16 peak times plan --estimate's default accelerator efficiency
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Projection of the paper's grid (128 x 2048 calibration tokens; merge barriers over all of them on"
                + " every MoE layer, E(E-1)/2 pairs + 500 triplets per layer) from this run's achieved rates: calibration %.1f GFLOP/s,"
                + " full barriers %.1f GFLOP/s, local barriers %.1f GFLOP/s; GPU: 989 TFLOP/s dense BF16 (H100/H200) x 0.35."
                + " FLOPs as methods.md 4.2 (FLOP bound) and 11. The evaluation cells (22 compressors x 2 ratios) are left to"
                + " plan --estimate, which counts their tokens from the task data.%n%n", fwdRate / 1e9, fullRate / 1e9, localRate / 1e9));
        sb.append("| backbone | merges | full PFLOP | local PFLOP | calibration PFLOP | full, this machine | full, H100 class | local, this"
                + " machine | local, H100 class |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Object[] n : nets) {
            ModelConfig c = (ModelConfig) n[1];
            int e = c.moe().numExperts();
            int k = c.moe().topK();
            double merges = 0;
            double full = 0;
            double loc = 0;
            for (int l : c.moeLayers()) {
                double pairs = e * (e - 1) / 2.0;
                double triplets = Math.min(500, (double) e * (e - 1) * (e - 2) / 6);
                merges += pairs + triplets;
                full += (pairs + triplets) * tokens * Flops.fromLayerPerToken(c, l, 2048); // at 2048 tokens every window is hit
                double perRow = Flops.expertPerToken(c) + Flops.headPerToken(c);
                loc += (pairs * 2 + triplets * 3) * ((double) tokens * k / e) * perRow + tokens * Flops.headPerToken(c);
            }
            double cal = tokens * (Flops.forwardPerToken(c, 2048) - Flops.headPerToken(c));
            sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.3g | %.3g | %.3g | %s | %s | %s | %s |%n", n[0], merges, full / 1e15,
                    loc / 1e15, cal / 1e15, human(full / fullRate + cal / fwdRate), human((full + cal) / gpu),
                    human(loc / localRate + cal / fwdRate), human((loc + cal) / gpu)));
        }
        notes.append(sb).append('\n');
    }

    private static ModelConfig config(String type, int layers, int hidden, int inter, int heads, int kv, int headDim, int experts, int vocab) {
        SyntheticCheckpoint s = SyntheticCheckpoint.of(type).layers(layers).hidden(hidden).heads(heads, kv, headDim)
                .experts(experts, 8, inter).vocab(vocab);
        if (type.equals("qwen3_5_moe")) {
            s = s.shared(inter).fullAttentionInterval(4);
        }
        return ModelConfig.parse(s.config(), Path.of("config.json"));
    }

    private static String human(double secs) {
        if (secs < 3600) {
            return String.format(Locale.ROOT, "%.1f min", secs / 60);
        }
        if (secs < 86400 * 3) {
            return String.format(Locale.ROOT, "%.1f h", secs / 3600);
        }
        if (secs < 86400 * 730) {
            return String.format(Locale.ROOT, "%.0f days", secs / 86400);
        }
        return String.format(Locale.ROOT, "%.0f years", secs / 86400 / 365);
    }

    private static String estimateLines(String log) {
        StringBuilder sb = new StringBuilder();
        for (String l : log.split("\n")) {
            if (!l.startsWith("frontier:") && !l.isBlank()) {
                sb.append(l).append('\n');
            }
        }
        return sb.toString();
    }

    private Path planSpec(Path work, Path ckpt, Path calib, Path data) throws IOException {
        String yaml = "name: scale\nseed: 0\nbackbones:\n  - {name: olmoe-1b-7b-synth, path: " + ckpt + "}\n"
                + "calibration:\n  source: " + calib + "\n  count: " + calibWindows + "\n  length: " + window + "\n  seed: 0\n"
                + "compressors: [frequency, soft-frequency, ean, man, msan, reap, aimer, random, m-smoe, hc-smoe, ream, stun, wanda,"
                + " hodgecover, hodgecover-no-triangle, hodgecover-triplet-penalty, hodgecover-triplet-hypergraph, greedy-barrier,"
                + " hodgecover+wanda, reap+wanda, frequency+wanda, stun+wanda]\n"
                + "ratios: [0.33, 0.66]\n"
                + "tasks:\n  - {name: mini_ppl, data: " + data.resolve("mini_ppl.jsonl") + "}\n";
        Path spec = work.resolve("scale-plan.yaml");
        Files.writeString(spec, yaml);
        return spec;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> r = new ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    private void add(String backbone, String stage, Child c, String throughput, String share) {
        rows.add(new Row(backbone, stage, c.wallS(), c.peak(), throughput, share));
    }

    /** A share of the FLOP bound, resolved when the table is made (against the larger of the two roofline measurements). */
    private String share(double flops, double secs) {
        if (!(flops > 0) || !(secs > 0)) {
            return "";
        }
        return String.format(Locale.ROOT, "{share:%.6g}", flops / secs);
    }

    private String resolveShares(String s) {
        Matcher m = Pattern.compile("\\{share:([0-9.e+-]+)\\}").matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            double rate = Double.parseDouble(m.group(1));
            m.appendReplacement(sb, String.format(Locale.ROOT, "%.0f%% of the FLOP bound (%.1f GFLOP/s)", 100 * rate / (roof * 1e9), rate / 1e9));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String tps(double tokens, double secs) {
        return String.format(Locale.ROOT, "%.0f tokens/s", tokens / secs);
    }

    private static String merges(double n, double secs) {
        return String.format(Locale.ROOT, "%.3g merges/s", n / secs);
    }

    private static String gbps(long bytes, double secs) {
        return String.format(Locale.ROOT, "%.2f GB/s", bytes / 1e9 / secs);
    }

    private Path ids(Path file, int windows, int vocab, long seed) throws IOException {
        return BenchCommand.randomIds(file, windows, window, vocab, seed);
    }

    /** GB/s of reading every safetensors shard once, in 64 MiB sequential reads (whatever the page cache holds). */
    private static double sequentialRead(Path dir) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(64 << 20);
        long bytes = 0;
        long t0 = System.nanoTime();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(x -> x.toString().endsWith(".safetensors")).sorted().toList()) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    int n;
                    while ((n = ch.read(buf.clear())) > 0) {
                        bytes += n;
                    }
                }
            }
        }
        return bytes / 1e9 / ((System.nanoTime() - t0) / 1e9);
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** Runs {@code frontier ARGS} in a child JVM with this JVM's options; its log goes to WORK/logs/NN-NAME.log. */
    private Child child(Path work, String name, List<String> args) throws IOException, InterruptedException {
        Path logs = Files.createDirectories(work.resolve("logs"));
        String tag = String.format(Locale.ROOT, "%02d-%s", ++stageNo, name);
        Path metrics = logs.resolve(tag + ".metrics.json");
        Path log = logs.resolve(tag + ".log");
        Files.deleteIfExists(metrics);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-D" + dev.moefrontier.harness.util.RunMetrics.PROPERTY) && !a.startsWith("-agentlib")
                    && !a.startsWith("-javaagent")) {
                cmd.add(a);
            }
        }
        cmd.add("-D" + dev.moefrontier.harness.util.RunMetrics.PROPERTY + "=" + metrics);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        cmd.add("-q");
        System.out.printf(Locale.ROOT, "stage        %s: frontier %s%n", tag, String.join(" ", args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        pb.environment().put("OPT_OUT_TRACKING", "true");
        long t0 = System.nanoTime();
        int rc = pb.start().waitFor();
        double wall = (System.nanoTime() - t0) / 1e9;
        String text = Files.readString(log, StandardCharsets.UTF_8);
        if (rc != 0 || !Files.exists(metrics)) {
            String[] lines = text.strip().split("\n");
            throw new IllegalStateException("bench scale: stage " + tag + " failed (exit " + rc + "; log " + log + "): "
                    + lines[lines.length - 1]);
        }
        JsonObject m = JsonParser.parseString(Files.readString(metrics)).getAsJsonObject();
        System.out.printf(Locale.ROOT, "             %.1f s, peak RSS %s%n", wall, Memory.human(m.get("peak_rss_bytes").getAsLong()));
        return new Child(wall, m, text);
    }

    private String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("| backbone | stage | wall | throughput | peak RSS | share of bound |\n|---|---|---:|---|---:|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.1f s | %s | %s | %s |%n", r.backbone(), r.stage(), r.wallS(), r.throughput(),
                    r.peakRss() > 0 ? Memory.human(r.peakRss()) : "", r.share()));
        }
        sb.append('\n').append(notes);
        return sb.toString();
    }
}
