package dev.moefrontier.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.calib.Tokenization;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.data.Records;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.Request;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.minis.MiniData;
import dev.moefrontier.harness.model.BundledModels;
import dev.moefrontier.harness.model.ForwardDump;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The minis' task suite: committed data equals the generator's, requests, and per-domain perplexity arithmetic. */
class MiniSuiteTest {
    static final Registry<Evaluator> TASKS = Suite.registry();
    static Path data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        Progress.quiet(true);
        data = BundledModels.path(BundledModels.MINI_DATA);
    }

    @Test
    void theCommittedDataIsWhatTheGeneratorWrites() throws IOException {
        MiniData.write(tmp);
        for (String f : MiniData.FILES) {
            assertEquals(Files.readString(data.resolve(f)), Files.readString(tmp.resolve(f)), f + " (regenerate with 'frontier mini-data')");
        }
    }

    @Test
    void multipleChoiceRequestsAreTheItemsChoices() {
        Evaluator mc = TASKS.get("mini_mc");
        List<Request> req = mc.requests(mc.locate(data), Options.none());
        List<Records.Row> rows = Records.read(data.resolve("mini_mc.jsonl"));
        int q = 0;
        for (int i = 0; i < rows.size(); i++) {
            for (String c : rows.get(i).strings("choices")) {
                Request r = req.get(q++);
                assertEquals(i, r.doc());
                assertEquals(rows.get(i).string("context"), r.context());
                assertEquals(" " + c, r.continuation());
            }
        }
        assertEquals(q, req.size());
    }

    @Test
    void perDomainPerplexityIsTheMeanNllOfThatDomainsWindows() {
        Path model = BundledModels.path("olmoe-mini");
        Evaluator ppl = TASKS.get("mini_ppl");
        try (MoeTransformer m = MoeTransformer.open(model);
                EvalContext ctx = EvalContext.builder().setModel(m).optLimit(2).optAddSpecialTokens(false).build()) {
            Evaluation e = ppl.evaluate(ctx, ppl.locate(data), Options.parse("mini_ppl", ppl.options(), Map.of("seqlen", "64")));
            assertEquals(List.of("mini_ppl_arith", "mini_ppl_grammar", "mini_ppl_records", "mini_ppl_brackets", "mini_ppl_lists"),
                    new ArrayList<>(e.subtasks().keySet()));
            // The lists domain by hand: its lines, each with "\\n", tokenized; the first two 64-token windows.
            StringBuilder text = new StringBuilder();
            for (Records.Row r : Records.read(data.resolve("mini_ppl.jsonl"))) {
                if (r.string("domain").equals("lists")) {
                    text.append(r.string("text")).append('\n');
                }
            }
            int[] ids;
            try (var tok = Tokenization.load(model)) {
                ids = Tokenization.encode(tok, text.toString());
            }
            double nll = 0;
            int v = m.config().vocabSize();
            for (int w = 0; w < 2; w++) {
                int[] win = Arrays.copyOfRange(ids, 64 * w, 64 * w + 64);
                float[] logits = ForwardDump.run(m, List.of(win)).get("logits.0").data();
                for (int t = 0; t < 63; t++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < v; j++) {
                        max = Math.max(max, logits[t * v + j]);
                    }
                    double z = 0;
                    for (int j = 0; j < v; j++) {
                        z += Math.exp(logits[t * v + j] - max);
                    }
                    nll -= logits[t * v + win[t + 1]] - max - Math.log(z);
                }
            }
            double want = Math.exp(nll / 126);
            assertEquals(want, e.subtasks().get("mini_ppl_lists").metrics().get("ppl").value(), 1e-3 * want);
            assertEquals(10, e.samples(), "two windows per domain");
            double total = 0;
            for (Evaluation d : e.subtasks().values()) {
                total += Math.log(d.metrics().get("ppl").value());
            }
            assertEquals(Math.exp(total / 5), e.metrics().get("ppl").value(), 1e-6 * e.metrics().get("ppl").value(),
                    "equal windows per domain: overall log-ppl is the domains' mean");
            assertTrue(e.metrics().get("ppl").value() > 1);
        }
    }
}
