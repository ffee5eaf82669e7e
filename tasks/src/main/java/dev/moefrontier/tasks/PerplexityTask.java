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
 * Perplexity with the pruning papers' protocol (methods.md §6): the split's texts joined ({@link #joiner()}), tokenized
 * once, cut into non-overlapping windows of {@code seqlen} tokens (a shorter tail is dropped), and
 * ppl = exp(mean next-token NLL over all predicted positions). The standard error is the delta-method estimate
 * ppl · se(mean NLL per window), NaN for one window. A {@code .txt} file is taken as the already-joined text.
 */
public abstract class PerplexityTask implements Evaluator {
    /** How documents are joined ("\n\n" for WikiText, " " for C4). */
    protected abstract String joiner();

    /** Documents used (all for WikiText). */
    protected int documents(Options o) {
        return Integer.MAX_VALUE;
    }

    /** Windows used (all for WikiText). */
    protected int windowCap(Options o) {
        return Integer.MAX_VALUE;
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.integer("seqlen", 2048, 2, null, "tokens per window"),
                OptionSpec.bool("add_special_tokens", true, "let the tokenizer add its special tokens (as the reference code's tokenizer call)"));
    }

    public String headline() {
        return "ppl";
    }

    /** Token ids of the evaluation text. */
    int[] tokens(EvalContext ctx, List<Path> files, Options o) {
        StringBuilder text = new StringBuilder();
        int docs = 0;
        int max = documents(o);
        boolean raw = files.size() == 1 && files.get(0).toString().endsWith(".txt");
        for (Path f : files) {
            for (Records.Row r : Records.read(f)) {
                if (docs >= max) {
                    break;
                }
                if (!raw && docs > 0) {
                    text.append(joiner());
                }
                text.append(r.string("text"));
                docs++;
            }
        }
        return ctx.encode(text.toString(), o.getBool("add_special_tokens"));
    }

    /** Non-overlapping windows of seqlen tokens. */
    static List<int[]> windows(int[] tokens, int seqlen, int cap) {
        List<int[]> w = new ArrayList<>();
        for (int i = 0; i + seqlen <= tokens.length && w.size() < cap; i += seqlen) {
            w.add(java.util.Arrays.copyOfRange(tokens, i, i + seqlen));
        }
        return w;
    }

    /** The windows evaluate() runs, times seqlen. */
    @Override
    public long estimatedTokens(EvalContext ctx, List<Path> files, Options o) {
        int seqlen = o.getInt("seqlen");
        List<int[]> all = windows(tokens(ctx, files, o), seqlen, windowCap(o));
        return (long) (ctx.limit() == null ? all.size() : Math.min(ctx.limit(), all.size())) * seqlen;
    }

    @Override
    public Evaluation evaluate(EvalContext ctx, List<Path> files, Options o) {
        int seqlen = o.getInt("seqlen");
        if (seqlen - 1 > ctx.maxLength()) {
            throw new IllegalArgumentException(name() + ": seqlen " + seqlen + " exceeds the model's context of " + ctx.maxLength() + " tokens");
        }
        int[] tokens = tokens(ctx, files, o);
        List<int[]> all = windows(tokens, seqlen, windowCap(o));
        if (all.isEmpty()) {
            throw new IllegalArgumentException(name() + ": the text has " + tokens.length + " tokens, fewer than one window of " + seqlen);
        }
        List<int[]> windows = ctx.limit() == null ? all : all.subList(0, Math.min(ctx.limit(), all.size()));
        double[][] nll = ctx.engine().windowNll(windows, name());
        Map<String, MetricValue> metrics = perplexity(nll);
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("task_version", version());
        prov.put("dataset_sha256", Checksums.sha256(files));
        prov.put("dataset_files", String.join(",", files.stream().map(Path::toString).toList()));
        prov.put("seqlen", Integer.toString(seqlen));
        prov.put("tokens", Integer.toString(tokens.length));
        prov.put("windows", Integer.toString(windows.size()));
        prov.put("limit", ctx.limit() == null ? "none" : Integer.toString(ctx.limit()));
        prov.put("batch_tokens", Integer.toString(ctx.batchTokens()));
        prov.put("options", o.canonical());
        return new Evaluation(name(), version(), metrics, headline(), windows.size(), all.size(), prov, Map.of());
    }

    /** ppl = exp(Σ nll / Σ positions) from per-window (nll sum, positions), with the delta-method standard error. */
    static Map<String, MetricValue> perplexity(double[][] nll) {
        double sum = 0;
        double count = 0;
        double[] perWindow = new double[nll.length];
        for (int i = 0; i < nll.length; i++) {
            sum += nll[i][0];
            count += nll[i][1];
            perWindow[i] = nll[i][0] / nll[i][1];
        }
        double meanNll = sum / count;
        double ppl = Math.exp(meanNll);
        MetricValue w = MetricValue.mean(perWindow, false);
        Map<String, MetricValue> m = new LinkedHashMap<>();
        m.put("ppl", new MetricValue(ppl, ppl * w.stderr(), false)); // lower is better
        m.put("nll", new MetricValue(meanNll, w.stderr(), false));
        return m;
    }

    /** WikiText-103 / -2 raw test split joined by "\n\n". */
    public static final class WikiText extends PerplexityTask {
        @Override
        public String name() {
            return "wikitext";
        }

        @Override
        public String description() {
            return "WikiText raw test split joined by \"\\n\\n\", non-overlapping windows, ppl";
        }

        @Override
        public String version() {
            return "1.0";
        }

        @Override
        protected String joiner() {
            return "\n\n";
        }
    }

    /** C4 validation documents joined by " ", truncated to a number of windows (1100 documents, 256 windows). */
    public static final class C4 extends PerplexityTask {
        @Override
        public String name() {
            return "c4";
        }

        @Override
        public String description() {
            return "C4 validation documents joined by \" \", first 256 windows, ppl";
        }

        @Override
        public String version() {
            return "1.0";
        }

        @Override
        protected String joiner() {
            return " ";
        }

        @Override
        public List<OptionSpec> options() {
            List<OptionSpec> o = new ArrayList<>(super.options());
            o.add(OptionSpec.integer("documents", 1100, 1, null, "validation documents joined"));
            o.add(OptionSpec.integer("windows", 256, 1, null, "windows evaluated"));
            return o;
        }

        @Override
        protected int documents(Options o) {
            return o.getInt("documents");
        }

        @Override
        protected int windowCap(Options o) {
            return o.getInt("windows");
        }
    }
}
