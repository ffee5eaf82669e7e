package dev.moefrontier.tasks;

import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.data.Records;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.MetricValue;
import dev.moefrontier.harness.util.Checksums;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The minis' held-out perplexity ({@code mini_ppl.jsonl}: {@code {"domain", "text"}} lines of the test split): per
 * domain, its lines each followed by "\n" (as in training), tokenized once and cut into non-overlapping windows of
 * {@code seqlen}; ppl = exp(mean next-token NLL), per domain ({@code mini_ppl_arith}, ...) and over all windows
 * ({@code mini_ppl}).
 */
public final class MiniPerplexity implements Evaluator {
    @Override
    public String name() {
        return "mini_ppl";
    }

    @Override
    public String description() {
        return "embedded minis: per-domain held-out perplexity (test split), ppl";
    }

    @Override
    public String version() {
        return "1.0";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.integer("seqlen", 128, 2, null, "tokens per window"));
    }

    /** The windows evaluate() runs (per domain, up to the limit), times seqlen. */
    @Override
    public long estimatedTokens(EvalContext ctx, List<Path> files, Options o) {
        int seqlen = o.getInt("seqlen");
        Map<String, StringBuilder> texts = texts(files);
        long n = 0;
        for (StringBuilder t : texts.values()) {
            int w = PerplexityTask.windows(ctx.encode(t.toString(), false), seqlen, Integer.MAX_VALUE).size();
            n += (long) (ctx.limit() == null ? w : Math.min(ctx.limit(), w)) * seqlen;
        }
        return n;
    }

    /** Per domain, its lines each followed by "\n". */
    private static Map<String, StringBuilder> texts(List<Path> files) {
        Map<String, StringBuilder> texts = new LinkedHashMap<>();
        for (Path f : files) {
            for (Records.Row r : Records.read(f)) {
                texts.computeIfAbsent(r.string("domain"), d -> new StringBuilder()).append(r.string("text")).append('\n');
            }
        }
        return texts;
    }

    @Override
    public Evaluation evaluate(EvalContext ctx, List<Path> files, Options o) {
        int seqlen = o.getInt("seqlen");
        if (seqlen - 1 > ctx.maxLength()) {
            throw new IllegalArgumentException(name() + ": seqlen " + seqlen + " exceeds the model's context of " + ctx.maxLength() + " tokens");
        }
        Map<String, StringBuilder> texts = texts(files);
        Map<String, List<int[]>> windows = new LinkedHashMap<>();
        List<int[]> all = new ArrayList<>();
        for (Map.Entry<String, StringBuilder> e : texts.entrySet()) {
            List<int[]> w = PerplexityTask.windows(ctx.encode(e.getValue().toString(), false), seqlen, Integer.MAX_VALUE);
            if (ctx.limit() != null) {
                w = w.subList(0, Math.min(ctx.limit(), w.size()));
            }
            if (w.isEmpty()) {
                throw new IllegalArgumentException(name() + ": domain '" + e.getKey() + "' has less text than one window of " + seqlen);
            }
            windows.put(e.getKey(), w);
            all.addAll(w);
        }
        double[][] nll = ctx.engine().windowNll(all, name());
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("task_version", version());
        prov.put("dataset_sha256", Checksums.sha256(files));
        prov.put("dataset_files", String.join(",", files.stream().map(Path::toString).toList()));
        prov.put("seqlen", Integer.toString(seqlen));
        prov.put("limit", ctx.limit() == null ? "none" : Integer.toString(ctx.limit()));
        prov.put("batch_tokens", Integer.toString(ctx.batchTokens()));
        Map<String, Evaluation> perDomain = new LinkedHashMap<>();
        int at = 0;
        for (Map.Entry<String, List<int[]>> e : windows.entrySet()) {
            double[][] part = java.util.Arrays.copyOfRange(nll, at, at + e.getValue().size());
            at += e.getValue().size();
            String task = name() + "_" + e.getKey();
            perDomain.put(task, new Evaluation(task, version(), PerplexityTask.perplexity(part), "ppl", part.length, part.length, prov, Map.of()));
        }
        Map<String, MetricValue> metrics = PerplexityTask.perplexity(nll);
        return new Evaluation(name(), version(), metrics, "ppl", all.size(), all.size(), prov, perDomain);
    }
}
