package dev.moefrontier.minis;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.Tokenization;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.data.Records;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.spi.Registry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The minis' quality bar ({@code frontier inspect}): per-domain held-out perplexity against a unigram baseline, dense
 * multiple-choice accuracy against chance, routing specialization per layer (mutual information between a token's
 * domain and its chosen experts, per-expert token shares), and a frequency-pruned model at 66% against the dense one.
 * Evaluators ({@code mini_ppl}, {@code mini_mc}) and the {@code frequency} compressor come from their registries.
 */
public final class MiniInspection {
    /** Perplexity must be below this fraction of the unigram baseline on every domain. */
    public static final double PPL_VS_UNIGRAM = 0.5;
    /** Accuracy must exceed chance by this much on every domain. */
    public static final double ACC_OVER_CHANCE = 0.15;
    /** Some layer's routing must carry this much information about the domain (bits). */
    public static final double MIN_MUTUAL_INFORMATION = 0.2;
    /** The 66%-frequency-pruned model's perplexity must be at least this multiple of the dense one's. */
    public static final double PRUNED_PPL_FACTOR = 1.2;
    /** The pruning ratio of the last check. */
    public static final double PRUNE_RATIO = 0.66;

    /** One domain's figures. */
    public record DomainRow(String domain, double ppl, double unigramPpl, double acc, double chance) {}

    /** One MoE layer's routing. */
    public record LayerRouting(int layer, double mutualInformation, double maxShare, double minShare, int expertsUsed) {}

    /** A quality-bar criterion. */
    public record Check(String criterion, boolean passed, String detail) {}

    /** Everything {@code inspect} reports. */
    public record Report(String summary, String training, List<DomainRow> domains, List<LayerRouting> routing, double densePpl,
            double denseAcc, double prunedPpl, double prunedAcc, List<Check> checks) {
        public boolean passed() {
            return checks.stream().allMatch(Check::passed);
        }
    }

    private MiniInspection() {}

    /** Inspects the model in {@code dir} on the minis' data in {@code data}. */
    public static Report run(Path dir, Path data, Path cache) throws IOException {
        Registry<Evaluator> tasks = Suite.registry();
        Evaluator pplTask = tasks.get("mini_ppl");
        Evaluator mcTask = tasks.get("mini_mc");
        Options pplOpts = Options.parse("mini_ppl", pplTask.options(), Map.of());
        Options mcOpts = Options.parse("mini_mc", mcTask.options(), Map.of());
        List<Path> pplFiles = pplTask.locate(data);
        List<Path> mcFiles = mcTask.locate(data);
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            ModelConfig c = m.config();
            String summary = String.format("%s: %s, %d layers, H=%d, %d experts top-%d (I=%d%s), %,d parameters", dir.getFileName(),
                    c.modelType(), c.numLayers(), c.hiddenSize(), c.moe().numExperts(), c.moe().topK(), c.moe().intermediate(),
                    c.moe().sharedIntermediate() > 0 ? ", shared " + c.moe().sharedIntermediate() : "",
                    m.checkpoint().tensors().values().stream().mapToLong(t -> t.numel()).sum());
            Evaluation densePpl;
            Evaluation denseMc;
            try (EvalContext ctx = EvalContext.builder().setModel(m).optAddSpecialTokens(false).build()) {
                densePpl = pplTask.evaluate(ctx, pplFiles, pplOpts);
                denseMc = mcTask.evaluate(ctx, mcFiles, mcOpts);
            }
            int seqlen = pplOpts.getInt("seqlen");
            Map<String, List<int[]>> windows = domainWindows(m, pplFiles, seqlen);
            Map<String, Double> unigram = unigramPerplexity(m, windows);
            Map<String, Double> chance = chance(mcFiles);
            List<DomainRow> rows = new ArrayList<>();
            for (String d : windows.keySet()) {
                rows.add(new DomainRow(d, densePpl.subtasks().get("mini_ppl_" + d).metrics().get("ppl").value(), unigram.get(d),
                        denseMc.subtasks().get("mini_mc_" + d).metrics().get("acc").value(), chance.get(d)));
            }
            List<LayerRouting> routing = routing(m, windows);
            double[] pruned = pruned(m, data.resolve("calibration.jsonl"), cache, pplTask, pplFiles, pplOpts, mcTask, mcFiles, mcOpts);
            double dPpl = densePpl.metrics().get("ppl").value();
            double dAcc = denseMc.metrics().get("acc").value();
            List<Check> checks = new ArrayList<>();
            String worstPpl = rows.stream().map(r -> String.format("%s %.2f/%.2f", r.domain(), r.ppl(), r.unigramPpl())).reduce((a, b) -> a + ", " + b).orElse("");
            checks.add(new Check(String.format("held-out ppl < %.1f x unigram on every domain", PPL_VS_UNIGRAM),
                    rows.stream().allMatch(r -> r.ppl() < PPL_VS_UNIGRAM * r.unigramPpl()), worstPpl));
            checks.add(new Check(String.format("accuracy > chance + %.2f on every domain", ACC_OVER_CHANCE),
                    rows.stream().allMatch(r -> r.acc() > r.chance() + ACC_OVER_CHANCE),
                    rows.stream().map(r -> String.format("%s %.2f/%.2f", r.domain(), r.acc(), r.chance())).reduce((a, b) -> a + ", " + b).orElse("")));
            double bestMi = routing.stream().mapToDouble(LayerRouting::mutualInformation).max().orElse(0);
            checks.add(new Check(String.format("routing specializes: max MI(domain; expert) >= %.1f bits", MIN_MUTUAL_INFORMATION),
                    bestMi >= MIN_MUTUAL_INFORMATION, String.format("%.2f bits", bestMi)));
            if (pruned != null) {
                checks.add(new Check(String.format("frequency-pruned at %.0f%%: ppl >= %.1f x dense", 100 * PRUNE_RATIO, PRUNED_PPL_FACTOR),
                        pruned[0] >= PRUNED_PPL_FACTOR * dPpl, String.format("%.2f vs %.2f (acc %.2f vs %.2f)", pruned[0], dPpl, pruned[1], dAcc)));
            }
            return new Report(summary, training(dir), rows, routing, dPpl, dAcc, pruned == null ? Double.NaN : pruned[0],
                    pruned == null ? Double.NaN : pruned[1], checks);
        }
    }

    private static String training(Path dir) throws IOException {
        Path f = dir.resolve("manifest.json");
        if (!Files.isRegularFile(f)) {
            return "no manifest.json";
        }
        JsonObject m = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
        var losses = m.getAsJsonArray("losses");
        double last = losses.isEmpty() ? Double.NaN : losses.get(losses.size() - 1).getAsJsonObject().get("nll").getAsDouble();
        return String.format("%d steps x %d x %d tokens (%,d tokens), %.0f s, final train nll %.3f, %s, seed %d", m.get("steps").getAsInt(),
                m.get("batch").getAsInt(), m.get("context").getAsInt(), m.get("tokens").getAsLong(), m.get("wall_seconds").getAsDouble(), last,
                m.get("corpus_version").getAsString(), m.get("seed").getAsLong());
    }

    /** Each domain's test text cut into windows exactly as {@code mini_ppl} cuts it. */
    private static Map<String, List<int[]>> domainWindows(MoeTransformer m, List<Path> files, int seqlen) {
        Map<String, StringBuilder> texts = new LinkedHashMap<>();
        for (Path f : files) {
            for (Records.Row r : Records.read(f)) {
                texts.computeIfAbsent(r.string("domain"), d -> new StringBuilder()).append(r.string("text")).append('\n');
            }
        }
        Map<String, List<int[]>> out = new LinkedHashMap<>();
        try (HuggingFaceTokenizer tok = Tokenization.load(m.checkpoint().dir())) {
            texts.forEach((d, t) -> {
                int[] ids = Tokenization.encode(tok, t.toString());
                List<int[]> w = new ArrayList<>();
                for (int i = 0; i + seqlen <= ids.length; i += seqlen) {
                    w.add(java.util.Arrays.copyOfRange(ids, i, i + seqlen));
                }
                out.put(d, w);
            });
        }
        return out;
    }

    /**
     * Perplexity of a unigram model (token frequencies of the tokenizer's training lines, add-one smoothed) on the same
     * predicted positions as the model's.
     */
    private static Map<String, Double> unigramPerplexity(MoeTransformer m, Map<String, List<int[]>> windows) {
        int v = m.config().vocabSize();
        double[] counts = new double[v];
        java.util.Arrays.fill(counts, 1);
        try (HuggingFaceTokenizer tok = Tokenization.load(m.checkpoint().dir())) {
            for (Corpus.Line l : Corpus.lines(Corpus.Split.TRAIN, 0, MiniTraining.TOKENIZER_LINES)) {
                for (int id : Tokenization.encode(tok, l.text() + "\n")) {
                    counts[id]++;
                }
            }
        }
        double total = java.util.Arrays.stream(counts).sum();
        Map<String, Double> out = new LinkedHashMap<>();
        windows.forEach((d, ws) -> {
            double nll = 0;
            long n = 0;
            for (int[] w : ws) {
                for (int i = 1; i < w.length; i++) {
                    nll -= Math.log(counts[w[i]] / total);
                    n++;
                }
            }
            out.put(d, Math.exp(nll / n));
        });
        return out;
    }

    /** Mean of 1 / (number of choices) per domain. */
    private static Map<String, Double> chance(List<Path> files) {
        Map<String, double[]> acc = new LinkedHashMap<>();
        for (Path f : files) {
            for (Records.Row r : Records.read(f)) {
                double[] a = acc.computeIfAbsent(r.string("domain"), d -> new double[2]);
                a[0] += 1.0 / r.strings("choices").size();
                a[1]++;
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        acc.forEach((d, a) -> out.put(d, a[0] / a[1]));
        return out;
    }

    /** Routing of every test token, per MoE layer: MI(domain; expert) over (token, slot) assignments and expert shares. */
    static List<LayerRouting> routing(MoeTransformer m, Map<String, List<int[]>> windows) {
        int layers = m.config().numLayers();
        int e = m.config().moe().numExperts();
        List<String> domains = new ArrayList<>(windows.keySet());
        long[][][] counts = new long[layers][domains.size()][e];
        for (int d = 0; d < domains.size(); d++) {
            int dd = d;
            ForwardObserver obs = new ForwardObserver() {
                @Override
                public boolean observesMoe(int layer) {
                    return true;
                }

                @Override
                public void onMoe(MoeLayerEvent ev) {
                    for (long x : ev.topkIndexArray()) {
                        counts[ev.layer()][dd][(int) x]++;
                    }
                }
            };
            m.run(List.of(new TokenBatch(windows.get(domains.get(d)))), ModelPatch.NONE, obs, (i, b, h) -> { });
        }
        List<LayerRouting> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            long total = 0;
            long[] perExpert = new long[e];
            long[] perDomain = new long[domains.size()];
            for (int d = 0; d < domains.size(); d++) {
                for (int x = 0; x < e; x++) {
                    total += counts[l][d][x];
                    perExpert[x] += counts[l][d][x];
                    perDomain[d] += counts[l][d][x];
                }
            }
            if (total == 0) {
                continue; // a dense layer
            }
            double mi = 0;
            for (int d = 0; d < domains.size(); d++) {
                for (int x = 0; x < e; x++) {
                    long c = counts[l][d][x];
                    if (c > 0) {
                        double pj = (double) c / total;
                        mi += pj * Math.log(pj / ((double) perDomain[d] / total * perExpert[x] / total)) / Math.log(2);
                    }
                }
            }
            long max = java.util.Arrays.stream(perExpert).max().orElse(0);
            long min = java.util.Arrays.stream(perExpert).min().orElse(0);
            int used = (int) java.util.Arrays.stream(perExpert).filter(c -> c > 0).count();
            out.add(new LayerRouting(l, mi, (double) max / total, (double) min / total, used));
        }
        return out;
    }

    /** {ppl, acc} of the frequency-pruned model, or null when no {@code frequency} compressor is registered. */
    private static double[] pruned(MoeTransformer m, Path calibration, Path cache, Evaluator pplTask, List<Path> pplFiles, Options pplOpts,
            Evaluator mcTask, List<Path> mcFiles, Options mcOpts) {
        Optional<Compressor> freq = CompressorCatalog.load().find("frequency");
        if (freq.isEmpty() || !Files.isRegularFile(calibration)) {
            return null;
        }
        Compressor c = freq.get();
        Options o = Options.parse(c.name(), c.options(), Map.of());
        CalibrationData data = CalibrationData.load(new CalibrationSpec(calibration, 64, m.config().maxPositions(), 0), m);
        Calibrator cal = new Calibrator(cache, 8192, s -> { });
        CompressionContext ctx = CompressionContext.builder().setModel(m).optCalibrator(cal).optData(data)
                .optStats(cal.stats(m, data, c.statistics(o))).build();
        PruningPlan plan = c.plan(ctx, PRUNE_RATIO, o);
        try (AppliedPlan applied = new AppliedPlan(m, plan);
                EvalContext ectx = EvalContext.builder().setModel(m).optPatch(applied, m.checkpoint().fingerprint() + ":frequency:0.66")
                        .optAddSpecialTokens(false).build()) {
            return new double[] {pplTask.evaluate(ectx, pplFiles, pplOpts).metrics().get("ppl").value(),
                mcTask.evaluate(ectx, mcFiles, mcOpts).metrics().get("acc").value()};
        }
    }
}
