package dev.moefrontier.harness.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.ModelWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.util.Progress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers teacher-forced loglikelihood requests in batches. Each request's model input is
 * {@code (context + continuation)[-(max+1):][:-1]} (lm-eval's left truncation); requests with the same input share one
 * forward (MMLU's four one-token answers cost one), inputs are sorted by length and packed into batches of at most
 * {@code batchTokens} padded tokens, and only the continuation positions go through the LM head. With streamed weights
 * the batches run layer-major (each layer read once for many batches). Answers are cached by (model key, tokens).
 */
public final class LoglikelihoodEngine {
    /** Token ids of one request. */
    public record Query(int[] context, int[] continuation) {}

    /** Log-probability of the continuation and whether greedy decoding would produce it. */
    public record Answer(double logLikelihood, boolean greedy) {}

    /**
     * Work done so far: requests answered, of which served from the cache, unique model inputs forwarded, batches, and
     * input tokens forwarded.
     */
    public record Stats(long requests, long cached, long inputs, long batches, long tokens) {}

    private static final int LAYER_MAJOR_BATCHES = 32;
    /** Logits computed at once (rows x vocabulary), about 256 MB of float32. */
    private static final long HEAD_ELEMENTS = 1L << 26;

    private final MoeTransformer model;
    private final ModelPatch patch;
    private final int maxLength;
    private final int batchTokens;
    private final ResponseCache cache;
    private final String modelKey;
    private long requests;
    private long cached;
    private long inputs;
    private long batchCount;
    private long tokens;

    LoglikelihoodEngine(MoeTransformer model, ModelPatch patch, int maxLength, int batchTokens, ResponseCache cache, String modelKey) {
        this.model = model;
        this.patch = patch;
        this.maxLength = maxLength;
        this.batchTokens = batchTokens;
        this.cache = cache;
        this.modelKey = modelKey;
    }

    /** One unique model input and the requests that read positions of it. */
    private static final class Unit {
        final int[] input;
        final List<Integer> queries = new ArrayList<>();

        Unit(int[] input) {
            this.input = input;
        }
    }

    /** Totals over every call so far. */
    public synchronized Stats stats() {
        return new Stats(requests, cached, inputs, batchCount, tokens);
    }

    /** Answers {@code queries} in order; {@code label} names the progress bar. */
    public synchronized List<Answer> loglikelihood(List<Query> queries, String label) {
        Answer[] answers = new Answer[queries.size()];
        String[] keys = new String[queries.size()];
        Map<String, Unit> units = new LinkedHashMap<>();
        int truncated = 0;
        for (int q = 0; q < queries.size(); q++) {
            Query r = queries.get(q);
            if (r.continuation().length == 0) {
                throw new IllegalArgumentException("request " + q + " has an empty continuation");
            }
            if (r.continuation().length > maxLength) {
                throw new IllegalArgumentException("request " + q + ": continuation of " + r.continuation().length
                        + " tokens exceeds the context length " + maxLength);
            }
            keys[q] = key(r);
            if (cache != null) {
                double[] hit = cache.get(keys[q]);
                if (hit != null) {
                    answers[q] = new Answer(hit[0], hit[1] != 0);
                    continue;
                }
            }
            int[] whole = concat(r.context(), r.continuation());
            int from = Math.max(0, whole.length - (maxLength + 1));
            truncated += from > 0 ? 1 : 0;
            int[] input = Arrays.copyOfRange(whole, from, whole.length - 1);
            units.computeIfAbsent(Arrays.toString(input), k -> new Unit(input)).queries.add(q);
        }
        if (truncated > 0) {
            // lm-eval's rule for inputs past the context: keep the last max_length tokens (methods.md §6).
            System.err.printf("warning: %s: %d of %d request(s) longer than the context of %d tokens were left-truncated%n",
                    label, truncated, queries.size(), maxLength);
        }
        List<Unit> todo = new ArrayList<>(units.values());
        todo.sort((a, b) -> Integer.compare(b.input.length, a.input.length)); // longest first, like lm-eval
        List<List<Unit>> batches = new ArrayList<>();
        List<Unit> cur = new ArrayList<>();
        for (Unit u : todo) {
            int len = cur.isEmpty() ? u.input.length : cur.get(0).input.length; // sorted: first is longest
            if (!cur.isEmpty() && (long) len * (cur.size() + 1) > batchTokens) {
                batches.add(cur);
                cur = new ArrayList<>();
            }
            cur.add(u);
        }
        if (!cur.isEmpty()) {
            batches.add(cur);
        }
        int hits = queries.size() - todo.stream().mapToInt(u -> u.queries.size()).sum();
        requests += queries.size();
        cached += hits;
        inputs += todo.size();
        batchCount += batches.size();
        tokens += todo.stream().mapToLong(u -> u.input.length).sum();
        try (Progress p = Progress.start(label, queries.size(), "requests")) {
            p.step(hits);
            boolean layerMajor = model.weights().residency() == ModelWeights.Residency.STREAM;
            int group = layerMajor ? LAYER_MAJOR_BATCHES : 1;
            for (int g = 0; g < batches.size(); g += group) {
                List<List<Unit>> chunk = batches.subList(g, Math.min(batches.size(), g + group));
                List<TokenBatch> tb = new ArrayList<>();
                for (List<Unit> b : chunk) {
                    List<int[]> seqs = new ArrayList<>();
                    b.forEach(u -> seqs.add(u.input));
                    tb.add(new TokenBatch(seqs));
                }
                model.run(tb, patch, ForwardObserver.NONE, (i, batch, hidden) -> {
                    score(chunk.get(i), hidden, queries, answers, keys);
                    int done = 0;
                    for (Unit u : chunk.get(i)) {
                        done += u.queries.size();
                    }
                    p.step(done);
                });
                if (cache != null) {
                    cache.flush();
                }
            }
        }
        return Arrays.asList(answers);
    }

    /** Reads the continuation log-probabilities of every request of a batch from its final hidden state [B, T, H]. */
    private void score(List<Unit> batch, NDArray hidden, List<Query> queries, Answer[] answers, String[] keys) {
        NDManager m = hidden.getManager();
        long t = hidden.getShape().get(1);
        long h = hidden.getShape().get(2);
        List<long[]> rows = new ArrayList<>(); // (flat position, target token)
        List<int[]> spans = new ArrayList<>(); // per query: (query, first row, count)
        for (int b = 0; b < batch.size(); b++) {
            Unit u = batch.get(b);
            for (int q : u.queries) {
                int[] cont = queries.get(q).continuation();
                int first = rows.size();
                for (int j = 0; j < cont.length; j++) {
                    int pos = u.input.length - cont.length + j; // predicts cont[j]
                    rows.add(new long[] {b * t + pos, cont[j]});
                }
                spans.add(new int[] {q, first, cont.length});
            }
        }
        long[] flat = new long[rows.size()];
        long[] target = new long[rows.size()];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = rows.get(i)[0];
            target[i] = rows.get(i)[1];
        }
        // The LM head runs on chunks of rows so that [rows, V] stays bounded for large vocabularies.
        NDArray all = hidden.reshape(-1, h);
        int chunk = (int) Math.max(1, HEAD_ELEMENTS / model.config().vocabSize());
        float[] lp = new float[flat.length];
        long[] argmax = new long[flat.length];
        for (int from = 0; from < flat.length; from += chunk) {
            int to = Math.min(flat.length, from + chunk);
            try (NDManager c = m.newSubManager()) {
                NDArray sel = all.get(c, new NDIndex("{}", c.create(Arrays.copyOfRange(flat, from, to)))); // [rows, H]
                NDArray logp = model.logits(sel).logSoftmax(-1); // [rows, V]
                NDArray tg = c.create(Arrays.copyOfRange(target, from, to), new Shape(to - from, 1));
                System.arraycopy(logp.gather(tg, 1).toType(DataType.FLOAT32, false).toFloatArray(), 0, lp, from, to - from);
                System.arraycopy(logp.argMax(1).toType(DataType.INT64, false).toLongArray(), 0, argmax, from, to - from);
            }
        }
        // A NaN/Inf logit (a corrupt weight, an overflow) must not be scored or cached (issue: never silently wrong).
        dev.moefrontier.harness.util.NonFiniteException.check(lp, "log-probabilities of the target tokens (model "
                + model.checkpoint().dir() + ", a batch of " + spans.size() + " requests: non-finite logits)");
        for (int[] s : spans) {
            double ll = 0;
            boolean greedy = true;
            for (int j = 0; j < s[2]; j++) {
                ll += lp[s[1] + j];
                greedy &= argmax[s[1] + j] == target[s[1] + j];
            }
            answers[s[0]] = new Answer(ll, greedy);
            if (cache != null) {
                cache.put(keys[s[0]], ll, greedy);
            }
        }
    }

    /**
     * Sum of next-token NLL over every predicted position of each window (positions 1..T-1 given their prefixes), and
     * the number of predicted positions; cached per window like loglikelihood requests.
     */
    public double[][] windowNll(List<int[]> windows, String label) {
        List<Query> queries = new ArrayList<>();
        for (int[] w : windows) {
            queries.add(new Query(new int[] {w[0]}, Arrays.copyOfRange(w, 1, w.length)));
        }
        List<Answer> a = loglikelihood(queries, label);
        double[][] out = new double[windows.size()][2];
        for (int i = 0; i < out.length; i++) {
            out[i][0] = -a.get(i).logLikelihood();
            out[i][1] = windows.get(i).length - 1;
        }
        return out;
    }

    private String key(Query q) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((modelKey + "|" + maxLength + "|").getBytes(StandardCharsets.UTF_8));
            md.update(Arrays.toString(q.context()).getBytes(StandardCharsets.UTF_8));
            md.update((byte) '|');
            md.update(Arrays.toString(q.continuation()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}
