package dev.moefrontier.harness.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.model.ForwardDump;
import dev.moefrontier.harness.model.InputsFile;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.testing.Fixtures;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Loglikelihood requests against the conformance fixtures' reference logits: values, greedy flags, batching and
 * deduplication, lm-eval's left truncation, and the response cache (including resuming an interrupted run).
 */
class LoglikelihoodEngineTest {
    /** Reference logits are within 2e-4 (absolute); a log-softmax entry then moves by at most ~4e-4 per token. */
    static final double PER_TOKEN = 1e-3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void quiet() {
        Progress.quiet(true);
    }

    /** Every (prefix, rest) split of the fixture sequences, and every one-token continuation (no request twice). */
    static List<LoglikelihoodEngine.Query> splits(List<int[]> seqs) {
        List<LoglikelihoodEngine.Query> q = new ArrayList<>();
        for (int[] s : seqs) {
            for (int k = 1; k < s.length; k++) {
                q.add(new LoglikelihoodEngine.Query(Arrays.copyOf(s, k), Arrays.copyOfRange(s, k, s.length)));
                if (k < s.length - 1) {
                    q.add(new LoglikelihoodEngine.Query(Arrays.copyOf(s, k), new int[] {s[k]}));
                }
            }
        }
        return q;
    }

    /** log softmax(row)[target] in double precision. */
    static double logProb(float[] logits, int row, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[row * vocab + v]);
        }
        double z = 0;
        for (int v = 0; v < vocab; v++) {
            z += Math.exp(logits[row * vocab + v] - max);
        }
        return logits[row * vocab + target] - max - Math.log(z);
    }

    /** Largest minus second-largest logit of a row minus the target's, or negative when the target is not the argmax. */
    static double greedyMargin(float[] logits, int row, int vocab, int target) {
        double best = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            if (v != target) {
                best = Math.max(best, logits[row * vocab + v]);
            }
        }
        return logits[row * vocab + target] - best;
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe-a", "qwen3_5_moe-a", "mixtral-a"})
    void matchesTheReferenceLogits(String name) {
        Path dir = Fixtures.conformance(name);
        List<int[]> seqs = InputsFile.read(dir.resolve("inputs.json"));
        List<LoglikelihoodEngine.Query> queries = splits(seqs);
        try (MoeTransformer m = MoeTransformer.open(dir); EvalContext ctx = EvalContext.builder().setModel(m).optBatchTokens(24).build();
                SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            int vocab = m.config().vocabSize();
            List<LoglikelihoodEngine.Answer> got = ctx.engine().loglikelihood(queries, "test");
            int q = 0;
            int greedyChecked = 0;
            for (int s = 0; s < seqs.size(); s++) {
                int[] seq = seqs.get(s);
                float[] logits = expected.readFloats(expected.tensors().get("logits." + s));
                for (int k = 1; k < seq.length; k++) {
                    int[][] conts = k < seq.length - 1 ? new int[][] {Arrays.copyOfRange(seq, k, seq.length), {seq[k]}}
                            : new int[][] {{seq[k]}};
                    for (int[] cont : conts) {
                        double want = 0;
                        boolean greedy = true;
                        double margin = Double.POSITIVE_INFINITY;
                        for (int j = 0; j < cont.length; j++) {
                            want += logProb(logits, k - 1 + j, vocab, cont[j]);
                            double g = greedyMargin(logits, k - 1 + j, vocab, cont[j]);
                            greedy &= g > 0;
                            margin = Math.min(margin, Math.abs(g));
                        }
                        LoglikelihoodEngine.Answer a = got.get(q++);
                        assertEquals(want, a.logLikelihood(), PER_TOKEN * cont.length, name + " seq " + s + " split " + k);
                        if (margin > 1e-3) { // a near-tie may flip within the fixture's tolerance
                            assertEquals(greedy, a.greedy(), name + " greedy, seq " + s + " split " + k);
                            greedyChecked++;
                        }
                    }
                }
            }
            assertTrue(greedyChecked > queries.size() / 2, "greedy flags were checked on most requests");
            LoglikelihoodEngine.Stats st = ctx.engine().stats();
            assertEquals(queries.size(), st.requests());
            // Every full-rest request of a sequence has the same input (the sequence minus its last token).
            assertTrue(st.inputs() < queries.size(), "shared inputs were forwarded once: " + st);
            assertTrue(st.batches() > 1, "batchTokens=24 splits the work into several batches: " + st);
        }
    }

    @Test
    void batchingDoesNotChangeAnswers() {
        Path dir = Fixtures.conformance("qwen3_moe-a");
        List<LoglikelihoodEngine.Query> queries = splits(InputsFile.read(dir.resolve("inputs.json")));
        try (MoeTransformer m = MoeTransformer.open(dir); EvalContext one = EvalContext.builder().setModel(m).optBatchTokens(1).build();
                EvalContext all = EvalContext.builder().setModel(m).optBatchTokens(1 << 16).build()) {
            List<LoglikelihoodEngine.Answer> a = one.engine().loglikelihood(queries, "alone");
            List<LoglikelihoodEngine.Answer> b = all.engine().loglikelihood(queries, "padded");
            assertEquals(1, all.engine().stats().batches());
            assertEquals(all.engine().stats().inputs(), one.engine().stats().batches());
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i).logLikelihood(), b.get(i).logLikelihood(), 1e-4, "request " + i);
            }
        }
    }

    @Test
    void sharedContextsAreForwardedOnce() {
        // MMLU's shape: four one-token answers after one question cost one forward.
        Path dir = Fixtures.conformance("olmoe-a");
        int[] ctxTokens = {5, 9, 17, 33, 2};
        List<LoglikelihoodEngine.Query> q = new ArrayList<>();
        for (int answer : new int[] {65, 66, 67, 68}) {
            q.add(new LoglikelihoodEngine.Query(ctxTokens, new int[] {answer}));
        }
        try (MoeTransformer m = MoeTransformer.open(dir); EvalContext ctx = EvalContext.builder().setModel(m).build()) {
            ctx.engine().loglikelihood(q, "mmlu-like");
            assertEquals(new LoglikelihoodEngine.Stats(4, 0, 1, 1, ctxTokens.length), ctx.engine().stats());
        }
    }

    @Test
    void longRequestsAreTruncatedFromTheLeftLikeLmEval() {
        // max_length 4: the model input is (context + continuation)[-5:][:-1].
        Path dir = Fixtures.conformance("olmoe-a");
        int[] seq = InputsFile.read(dir.resolve("inputs.json")).get(1);
        var query = new LoglikelihoodEngine.Query(Arrays.copyOf(seq, 6), Arrays.copyOfRange(seq, 6, 8));
        try (MoeTransformer m = MoeTransformer.open(dir); EvalContext ctx = EvalContext.builder().setModel(m).optMaxLength(4).build()) {
            double got = ctx.engine().loglikelihood(List.of(query), "truncated").get(0).logLikelihood();
            float[] logits = ForwardDump.run(m, List.of(Arrays.copyOfRange(seq, 3, 7))).get("logits.0").data();
            int vocab = m.config().vocabSize();
            double want = logProb(logits, 2, vocab, seq[6]) + logProb(logits, 3, vocab, seq[7]);
            assertEquals(want, got, 1e-5);
            assertEquals(4, ctx.engine().stats().tokens());
            var tooLong = new LoglikelihoodEngine.Query(new int[] {1}, Arrays.copyOf(seq, 5));
            assertThrows(IllegalArgumentException.class, () -> ctx.engine().loglikelihood(List.of(tooLong), "x"));
        }
    }

    @Test
    void anInterruptedRunResumesFromTheCache() throws IOException {
        Path dir = Fixtures.conformance("qwen2_moe-a");
        List<LoglikelihoodEngine.Query> queries = splits(InputsFile.read(dir.resolve("inputs.json")));
        Path file = tmp.resolve("responses.tsv");
        try (MoeTransformer m = MoeTransformer.open(dir)) {
            List<LoglikelihoodEngine.Answer> reference;
            try (EvalContext ctx = EvalContext.builder().setModel(m).optBatchTokens(16).build()) {
                reference = ctx.engine().loglikelihood(queries, "reference");
            }
            // First run: the model fails after a few batches (as if the process were killed).
            int layers = m.config().numLayers();
            AtomicInteger calls = new AtomicInteger();
            ModelPatch failing = (layer, w) -> {
                if (calls.incrementAndGet() > 3 * layers) {
                    throw new IllegalStateException("simulated crash");
                }
                return null;
            };
            try (ResponseCache rc = new ResponseCache(file);
                    EvalContext ctx = EvalContext.builder().setModel(m).optPatch(failing, "key").optBatchTokens(16).optCache(rc).build()) {
                assertThrows(IllegalStateException.class, () -> ctx.engine().loglikelihood(queries, "crashing"));
            }
            // A torn last line, as a kill during a write leaves it.
            Files.writeString(file, "0123abc\t-1.2", StandardOpenOption.APPEND);
            int saved;
            try (ResponseCache rc = new ResponseCache(file);
                    EvalContext ctx = EvalContext.builder().setModel(m).optPatch(ModelPatch.NONE, "key").optBatchTokens(16).optCache(rc).build()) {
                saved = rc.size();
                assertTrue(saved > 0 && saved < queries.size(), "the crashed run left " + saved + " responses");
                List<LoglikelihoodEngine.Answer> resumed = ctx.engine().loglikelihood(queries, "resumed");
                assertEquals(saved, ctx.engine().stats().cached(), "answers saved before the crash are not recomputed");
                for (int i = 0; i < queries.size(); i++) {
                    assertEquals(reference.get(i).logLikelihood(), resumed.get(i).logLikelihood(), 1e-4, "request " + i);
                }
            }
            // A third run is served from the cache alone; another model key shares nothing.
            try (ResponseCache rc = new ResponseCache(file);
                    EvalContext again = EvalContext.builder().setModel(m).optPatch(ModelPatch.NONE, "key").optCache(rc).build();
                    EvalContext other = EvalContext.builder().setModel(m).optPatch(ModelPatch.NONE, "other").optCache(rc).build()) {
                again.engine().loglikelihood(queries, "cached");
                assertEquals(0, again.engine().stats().inputs());
                other.engine().loglikelihood(queries.subList(0, 2), "other");
                assertEquals(0, other.engine().stats().cached());
            }
        }
    }
}
