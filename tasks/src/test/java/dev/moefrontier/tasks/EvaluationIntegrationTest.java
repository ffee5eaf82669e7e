package dev.moefrontier.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.MetricValue;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.model.ForwardDump;
import dev.moefrontier.harness.model.InputsFile;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.testing.Fixtures;
import dev.moefrontier.harness.testing.WordTokenizer;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tasks end to end on the olmoe-a conformance model with a word-level tokenizer: perplexity against the fixture's
 * reference logits, multiple choice against loglikelihoods from whole-sequence forwards, the {@code frontier eval}
 * results JSON, and a second run served from the response cache.
 */
class EvaluationIntegrationTest {
    static final Registry<Evaluator> TASKS = Suite.registry();
    /** Id i is word VOCAB[i]: the letters MMLU answers with, the template words, then w8 ... w127. */
    static final List<String> VOCAB = vocab();

    @TempDir
    static Path tmp;
    static Path model;
    static Path data;
    static List<int[]> sequences;

    static List<String> vocab() {
        List<String> v = new ArrayList<>(List.of("[UNK]", "A", "B", "C", "D", "Question", "Answer", ":"));
        for (int i = v.size(); i < 128; i++) {
            v.add("w" + i);
        }
        return v;
    }

    /** The test's own tokenizer: Hugging Face's Whitespace split (\w+|[^\w\s]+), then the vocabulary (unknown: 0). */
    static int[] tokens(String text) {
        Matcher m = Pattern.compile("\\w+|[^\\w\\s]+").matcher(text);
        List<Integer> ids = new ArrayList<>();
        while (m.find()) {
            ids.add(Math.max(0, VOCAB.indexOf(m.group())));
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    static String words(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(sb.length() == 0 ? "" : " ").append(id == 0 ? "zzz" : VOCAB.get(id)); // zzz is unknown: id 0
        }
        return sb.toString();
    }

    @BeforeAll
    static void setUp() throws IOException {
        Progress.quiet(true);
        Path fixture = Fixtures.conformance("olmoe-a");
        model = Files.createDirectories(tmp.resolve("model"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(fixture.resolve(f), model.resolve(f));
        }
        WordTokenizer.write(model, VOCAB);
        sequences = InputsFile.read(fixture.resolve("inputs.json"));
        data = Files.createDirectories(tmp.resolve("data"));
        // WikiText's hub layout: one row per line, empty rows between paragraphs.
        Files.writeString(data.resolve("wikitext.jsonl"), "{\"text\": \"" + words(sequences.get(0)) + "\"}\n{\"text\": \"\"}\n{\"text\": \""
                + words(sequences.get(1)) + "\"}\n");
        Files.writeString(data.resolve("c4.jsonl"), "{\"text\": \"" + words(sequences.get(0)) + "\", \"url\": \"u\"}\n{\"text\": \""
                + words(sequences.get(1)) + "\", \"url\": \"v\"}\n");
        Random r = new Random(11);
        StringBuilder arc = new StringBuilder();
        StringBuilder mmlu = new StringBuilder();
        String[] subjects = {"abstract_algebra", "philosophy", "anatomy", "marketing"};
        for (int d = 0; d < 8; d++) {
            int n = 3 + r.nextInt(2);
            List<String> texts = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                texts.add("\"" + randomWords(r, 1 + r.nextInt(3)) + "\"");
                labels.add("\"" + (char) ('A' + j) + "\"");
            }
            arc.append("{\"id\": \"").append(d).append("\", \"question\": \"").append(randomWords(r, 2 + r.nextInt(3)))
                    .append("\", \"choices\": {\"text\": ").append(texts).append(", \"label\": ").append(labels)
                    .append("}, \"answerKey\": \"").append((char) ('A' + r.nextInt(n))).append("\"}\n");
            List<String> choices = new ArrayList<>();
            for (int j = 0; j < 4; j++) {
                choices.add("\"" + randomWords(r, 1) + "\"");
            }
            mmlu.append("{\"question\": \"").append(randomWords(r, 3)).append("\", \"subject\": \"").append(subjects[d % 4])
                    .append("\", \"choices\": ").append(choices).append(", \"answer\": ").append(r.nextInt(4)).append("}\n");
        }
        Files.writeString(data.resolve("arc_easy.jsonl"), arc);
        Files.writeString(data.resolve("mmlu.jsonl"), mmlu);
    }

    static String randomWords(Random r, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 8 + r.nextInt(120);
        }
        return words(ids);
    }

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

    /** Next-token NLL summed over positions 0..n-2 of the fixture's reference logits of sequence s. */
    static double referenceNll(SafetensorsFile expected, int s, int n) {
        float[] logits = expected.readFloats(expected.tensors().get("logits." + s));
        int[] seq = sequences.get(s);
        double nll = 0;
        for (int t = 0; t + 1 < n; t++) {
            nll -= logProb(logits, t, 128, seq[t + 1]);
        }
        return nll;
    }

    static Evaluation evaluate(String task, Map<String, String> options, Integer limit) {
        Evaluator e = TASKS.get(task);
        try (MoeTransformer m = MoeTransformer.open(model); EvalContext ctx = EvalContext.builder().setModel(m).optLimit(limit).build()) {
            return e.evaluate(ctx, e.locate(data), Options.parse(task, e.options(), options));
        }
    }

    @Test
    void wikitextPerplexityMatchesTheReferenceLogits() throws IOException {
        // Joined text = seq0 + seq1 (18 tokens); seqlen 7 gives windows seq0 and seq1[0:7], the 4-token tail is dropped.
        Evaluation e = evaluate("wikitext", Map.of("seqlen", "7"), null);
        double nll;
        try (SafetensorsFile expected = SafetensorsFile.open(Fixtures.conformance("olmoe-a").resolve("expected.safetensors"))) {
            nll = referenceNll(expected, 0, 7) + referenceNll(expected, 1, 7);
            double want = Math.exp(nll / 12);
            assertEquals(want, e.metrics().get("ppl").value(), want * 1e-3, "ppl = exp(mean NLL over 12 predicted positions)");
            assertEquals(nll / 12, e.metrics().get("nll").value(), 1e-3);
            assertEquals(2, e.samples());
            assertEquals("18", e.provenance().get("tokens"));
            // --limit 1: the first window only.
            Evaluation one = evaluate("wikitext", Map.of("seqlen", "7"), 1);
            assertEquals(Math.exp(referenceNll(expected, 0, 7) / 6), one.metrics().get("ppl").value(), 1e-3 * one.metrics().get("ppl").value());
            assertTrue(Double.isNaN(one.metrics().get("ppl").stderr()), "one window has no standard error");
        }
    }

    @Test
    void c4JoinsDocumentsWithSpacesAndCapsWindows() throws IOException {
        try (SafetensorsFile expected = SafetensorsFile.open(Fixtures.conformance("olmoe-a").resolve("expected.safetensors"))) {
            // documents=1: seq0 alone; seqlen 3 and windows=2: seq0[0:3], seq0[3:6].
            Evaluation e = evaluate("c4", Map.of("seqlen", "3", "documents", "1", "windows", "2"), null);
            float[] logits = expected.readFloats(expected.tensors().get("logits.0"));
            int[] s = sequences.get(0);
            // The second window restarts at position 0, so its logits are not the fixture's: compute it from its own forward.
            float[] second;
            try (MoeTransformer m = MoeTransformer.open(model)) {
                second = ForwardDump.run(m, List.of(java.util.Arrays.copyOfRange(s, 3, 6))).get("logits.0").data();
            }
            double nll = -logProb(logits, 0, 128, s[1]) - logProb(logits, 1, 128, s[2]) - logProb(second, 0, 128, s[4])
                    - logProb(second, 1, 128, s[5]);
            assertEquals(Math.exp(nll / 4), e.metrics().get("ppl").value(), 1e-3 * Math.exp(nll / 4));
            assertEquals(2, e.samples());
            assertEquals(2, e.originalSamples());
        }
    }

    /** The docs of a task with their per-choice loglikelihoods from whole-sequence forwards, tokenized by the test. */
    static List<double[]> referenceLoglikelihoods(MultipleChoiceTask task, List<MultipleChoiceTask.Doc> docs) {
        List<double[]> out = new ArrayList<>();
        try (MoeTransformer m = MoeTransformer.open(model)) {
            for (MultipleChoiceTask.Doc d : docs) {
                double[] ll = new double[d.size()];
                for (int j = 0; j < d.size(); j++) {
                    int[] ctx = tokens(d.contexts().get(0));
                    int[] cont = tokens(d.continuations().get(j));
                    int[] whole = new int[ctx.length + cont.length];
                    System.arraycopy(ctx, 0, whole, 0, ctx.length);
                    System.arraycopy(cont, 0, whole, ctx.length, cont.length);
                    float[] logits = ForwardDump.run(m, List.of(whole)).get("logits.0").data();
                    for (int k = 0; k < cont.length; k++) {
                        ll[j] += logProb(logits, ctx.length - 1 + k, 128, cont[k]);
                    }
                }
                out.add(ll);
            }
        }
        return out;
    }

    static int argmax(double[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) {
            b = v[i] > v[b] ? i : b;
        }
        return b;
    }

    /** Mean and sample-standard-deviation standard error of 0/1 outcomes. */
    static double[] binomial(int hits, int n) {
        double p = (double) hits / n;
        return new double[] {p, Math.sqrt(p * (1 - p) * n / (n - 1)) / Math.sqrt(n)};
    }

    @Test
    void evalCliWritesLmEvalResultsAndResumesFromItsCache() throws IOException {
        MultipleChoiceTask arc = (MultipleChoiceTask) TASKS.get("arc_easy");
        List<MultipleChoiceTask.Doc> arcDocs = arc.docs(arc.locate(data), null);
        List<double[]> arcLl = referenceLoglikelihoods(arc, arcDocs);
        int acc = 0;
        int norm = 0;
        for (int i = 0; i < arcDocs.size(); i++) {
            MultipleChoiceTask.Doc d = arcDocs.get(i);
            double[] ll = arcLl.get(i);
            double[] ln = new double[ll.length];
            for (int j = 0; j < ll.length; j++) {
                ln[j] = ll[j] / d.choices().get(j).length();
            }
            acc += argmax(ll) == d.gold() ? 1 : 0;
            norm += argmax(ln) == d.gold() ? 1 : 0;
        }
        MultipleChoiceTask mmlu = (MultipleChoiceTask) TASKS.get("mmlu");
        List<MultipleChoiceTask.Doc> mmluDocs = mmlu.docs(mmlu.locate(data), null);
        List<double[]> mmluLl = referenceLoglikelihoods(mmlu, mmluDocs);
        int mmluAcc = 0;
        for (int i = 0; i < mmluDocs.size(); i++) {
            mmluAcc += argmax(mmluLl.get(i)) == mmluDocs.get(i).gold() ? 1 : 0;
        }

        Path out = tmp.resolve("results.json");
        Path cache = tmp.resolve("cache");
        String[] args = {"eval", "--model", model.toString(), "--tasks", "arc_easy,mmlu,wikitext", "--data", data.toString(),
            "--option", "wikitext.seqlen=7", "--cache", cache.toString(), "--out", out.toString()};
        Cli.Result r = Cli.run(args);
        assertEquals(0, r.status(), r.err());
        JsonObject j = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
        JsonObject res = j.getAsJsonObject("results");
        double[] a = binomial(acc, arcDocs.size());
        double[] n = binomial(norm, arcDocs.size());
        assertEquals(a[0], res.getAsJsonObject("arc_easy").get("acc,none").getAsDouble(), 1e-12);
        assertEquals(a[1], res.getAsJsonObject("arc_easy").get("acc_stderr,none").getAsDouble(), 1e-12);
        assertEquals(n[0], res.getAsJsonObject("arc_easy").get("acc_norm,none").getAsDouble(), 1e-12);
        assertEquals(n[1], res.getAsJsonObject("arc_easy").get("acc_norm_stderr,none").getAsDouble(), 1e-12);
        double mmluMean = (double) mmluAcc / mmluDocs.size();
        assertEquals(mmluMean, res.getAsJsonObject("mmlu").get("acc,none").getAsDouble(), 1e-12, "mmlu = mean over all questions");
        assertTrue(res.getAsJsonObject("wikitext").get("ppl,none").getAsDouble() > 1);
        // lm-eval's nesting: mmlu > categories (stem, other, social sciences, humanities order) > subjects.
        assertEquals("[\"mmlu_stem\",\"mmlu_other\",\"mmlu_humanities\"]", j.getAsJsonObject("group_subtasks").get("mmlu").toString());
        assertEquals("[\"mmlu_abstract_algebra\",\"mmlu_anatomy\"]", j.getAsJsonObject("group_subtasks").get("mmlu_stem").toString());
        assertTrue(j.getAsJsonObject("groups").has("mmlu_humanities"));
        assertEquals(2, j.getAsJsonObject("n-samples").getAsJsonObject("mmlu_philosophy").get("effective").getAsInt());
        assertEquals("1.0", j.getAsJsonObject("versions").get("mmlu_philosophy").getAsString());
        assertEquals("2", j.getAsJsonObject("versions").get("mmlu").getAsString());
        assertEquals(8, j.getAsJsonObject("n-samples").getAsJsonObject("arc_easy").get("original").getAsInt());
        assertTrue(j.getAsJsonObject("higher_is_better").getAsJsonObject("arc_easy").get("acc").getAsBoolean());
        assertTrue(!j.getAsJsonObject("higher_is_better").getAsJsonObject("wikitext").get("ppl").getAsBoolean());
        assertEquals("7", j.getAsJsonObject("configs").getAsJsonObject("wikitext").get("seqlen").getAsString());
        assertEquals(64, j.getAsJsonObject("configs").getAsJsonObject("arc_easy").get("dataset_sha256").getAsString().length());
        assertEquals(4096, j.getAsJsonObject("config").get("max_length").getAsInt());
        assertEquals((n[0] + mmluMean) / 2, j.getAsJsonObject("frontier").get("ds_avg").getAsDouble(), 1e-12,
                "DS-Avg: arc_easy's acc_norm and mmlu's acc");

        // The second run answers every request from the cache: nothing is appended to it, the results are identical.
        Path cacheFile;
        try (var files = Files.walk(cache)) {
            cacheFile = files.filter(p -> p.toString().endsWith(".tsv")).findFirst().orElseThrow();
        }
        long lines = Files.readAllLines(cacheFile).size();
        Path again = tmp.resolve("again.json");
        args[args.length - 1] = again.toString();
        Cli.Result r2 = Cli.run(args);
        assertEquals(0, r2.status(), r2.err());
        assertEquals(lines, Files.readAllLines(cacheFile).size());
        assertEquals(res, JsonParser.parseString(Files.readString(again)).getAsJsonObject().getAsJsonObject("results"));
    }

    @Test
    void badRequestsFailBeforeTheModelLoads() {
        Cli.Result unknown = Cli.run("eval", "--model", model.toString(), "--tasks", "arc_easy,nope", "--data", data.toString(),
                "--out", tmp.resolve("x.json").toString());
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().contains("nope"), unknown.err());
        Cli.Result missing = Cli.run("eval", "--model", model.toString(), "--tasks", "piqa", "--data", data.toString(),
                "--out", tmp.resolve("x.json").toString());
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("no data for task 'piqa'"), missing.err());
        Cli.Result window = Cli.run("eval", "--model", model.toString(), "--tasks", "wikitext", "--data", data.toString(),
                "--option", "wikitext.seqlen=100", "--no-cache", "--out", tmp.resolve("x.json").toString());
        assertEquals(1, window.status());
        assertTrue(window.err().contains("fewer than one window of 100"), window.err());
        assertTrue(!Files.exists(tmp.resolve("x.json")), "no partial result file");
    }

    @Test
    void pooledStandardErrorIsLmEvals() {
        // Parts [1,0,1,0] (mean .5, se sqrt(1/3)/2) and [1,1] (mean 1, se 0):
        // pooled variance = (3 * (1/12) * 4 + 1 * 0 * 2) / (6 - 2) = 0.25, se = sqrt(0.25 / 6).
        MetricValue p = MetricValue.pooled(List.of(MetricValue.mean(new double[] {1, 0, 1, 0}, true), MetricValue.mean(new double[] {1, 1}, true)),
                new int[] {4, 2});
        assertEquals(4.0 / 6, p.value(), 1e-15);
        assertEquals(Math.sqrt(0.25 / 6), p.stderr(), 1e-15);
    }
}
