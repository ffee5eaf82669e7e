package dev.moefrontier.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.Request;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.testing.Cli;
import dev.moefrontier.harness.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests of every task on hand-written documents in the hub's field layout, compared with the exact strings
 * lm-evaluation-harness's zero-shot templates produce.
 */
class PromptConstructionTest {
    static final Registry<Evaluator> TASKS = Suite.registry();
    static final Path HUB = Fixtures.resource("/hub/boolq.jsonl").getParent();

    @TempDir
    Path tmp;

    static List<Request> requests(String task) {
        Evaluator e = TASKS.get(task);
        return e.requests(e.locate(HUB), Options.parse(task, e.options(), Map.of()));
    }

    static void assertRequests(String task, String[][] want) {
        List<Request> got = requests(task);
        assertEquals(want.length, got.size(), task + " request count");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i][0], got.get(i).context(), task + " request " + i + " context");
            assertEquals(want[i][1], got.get(i).continuation(), task + " request " + i + " continuation");
        }
    }

    @Test
    void arc() {
        String q1 = "Question: Which object would most likely float in a bucket of water?\nAnswer:";
        String q2 = "Question: What do plants need from sunlight?\nAnswer:";
        String[][] want = {{q1, " a dry cork"}, {q1, " an iron nail"}, {q1, " a glass marble"},
            {q2, " salt"}, {q2, " energy"}, {q2, " sand"}, {q2, " noise"}};
        assertRequests("arc_easy", want);
        assertRequests("arc_challenge", want);
        List<Request> r = requests("arc_easy");
        assertEquals(1, r.get(4).doc());
        assertEquals(1, r.get(4).choice());
    }

    @Test
    void boolq() {
        String c1 = "Botanically, a tomato is the berry of a flowering plant.\nQuestion: is a tomato a fruit?\nAnswer:";
        String c2 = "Penguins are flightless birds that swim.\nQuestion: do penguins fly?\nAnswer:";
        assertRequests("boolq", new String[][] {{c1, " no"}, {c1, " yes"}, {c2, " no"}, {c2, " yes"}});
    }

    @Test
    void hellaswagWithItsPreprocessing() {
        // lm-eval order: strip, " [title]" -> ". ", drop other [..], collapse double spaces; a leading [step] leaves a space.
        String c1 = "Cleaning windows: A man sprays the glass with soap. He";
        String c2 = "Baking: She mixes flour and eggs. Then she";
        assertRequests("hellaswag", new String[][] {
            {c1, " wipes it dry. with a cloth."}, {c1, " eats the window."}, {c1, "  climbs onto the roof."}, {c1, " sings loudly"},
            {c2, " pours the batter into a pan."}, {c2, " throws the bowl."}, {c2, " reads a book."}, {c2, " goes to sleep."}});
    }

    @Test
    void mmluWithTheSubjectDescription() {
        String c1 = "The following are multiple choice questions (with answers) about elementary mathematics.\n\n"
                + "What is 2 + 2?\nA. 3\nB. 4\nC. 5\nD. 22\nAnswer:";
        String c2 = "The following are multiple choice questions (with answers) about high school biology.\n\n"
                + "Which organ pumps blood?\nA. lung\nB. liver\nC. heart\nD. skin\nAnswer:";
        assertRequests("mmlu", new String[][] {{c1, " A"}, {c1, " B"}, {c1, " C"}, {c1, " D"}, {c2, " A"}, {c2, " B"}, {c2, " C"}, {c2, " D"}});
    }

    @Test
    void openbookqaPiqaRte() {
        String o = "A magnet will stick to";
        assertRequests("openbookqa", new String[][] {{o, " a wooden spoon"}, {o, " a steel fork"}, {o, " a paper cup"}, {o, " a glass jar"}});
        String p = "Question: To cool a hot drink quickly,\nAnswer:";
        assertRequests("piqa", new String[][] {{p, " add ice cubes."}, {p, " put it in the oven."}});
        String r = "The cat slept on the mat all afternoon.\nQuestion: The cat was asleep. True or False?\nAnswer:";
        assertRequests("rte", new String[][] {{r, " True"}, {r, " False"}});
    }

    @Test
    void winograndeHasOneContextPerOption() {
        assertRequests("winogrande", new String[][] {
            {"The trophy did not fit in the suitcase because the trophy", " was too big."},
            {"The trophy did not fit in the suitcase because the suitcase", " was too big."}});
    }

    @Test
    void parquetFromTheHubGivesTheSameRequests() {
        // arc_easy.parquet holds the two ARC documents, written by arrow-rs with the hub's struct-of-lists layout.
        Evaluator arc = TASKS.get("arc_easy");
        List<Request> fromParquet = arc.requests(List.of(Fixtures.resource("/hub-parquet/arc_easy.parquet")), Options.none());
        List<Request> fromJsonl = requests("arc_easy");
        assertEquals(fromJsonl, fromParquet);
    }

    @Test
    void goldAnswersFollowTheTemplates() {
        MultipleChoiceTask arc = (MultipleChoiceTask) TASKS.get("arc_easy");
        assertEquals(List.of(0, 1), arc.docs(arc.locate(HUB), null).stream().map(MultipleChoiceTask.Doc::gold).toList());
        MultipleChoiceTask obqa = (MultipleChoiceTask) TASKS.get("openbookqa");
        assertEquals(1, obqa.docs(obqa.locate(HUB), null).get(0).gold(), "answerKey ' B' is lstripped");
        MultipleChoiceTask hs = (MultipleChoiceTask) TASKS.get("hellaswag");
        assertEquals("mmlu_high_school_biology", "mmlu_" + ((MultipleChoiceTask) TASKS.get("mmlu")).docs(
                TASKS.get("mmlu").locate(HUB), null).get(1).group());
        assertEquals(0, hs.docs(hs.locate(HUB), null).get(1).gold());
    }

    @Test
    void malformedLinesNameFileAndLine() throws IOException {
        Path f = tmp.resolve("arc_easy.jsonl");
        Files.writeString(f, "{\"question\": \"q\", \"choices\": {\"text\": [\"a\"], \"label\": [\"A\"]}, \"answerKey\": \"A\"}\n"
                + "{\"question\": \"q\", \"answerKey\": \"A\"}\n");
        CheckpointException e = assertThrows(CheckpointException.class, () -> TASKS.get("arc_easy").requests(List.of(f), Options.none()));
        assertEquals(f + ": line 2: field 'choices' must be an object, got nothing (missing or null)", e.getMessage());
        Files.writeString(f, "{\"question\": \"q\", \"choices\": {\"text\": [\"a\"], \"label\": [\"A\"]}, \"answerKey\": \"Z\"}\n");
        CheckpointException g = assertThrows(CheckpointException.class, () -> TASKS.get("arc_easy").requests(List.of(f), Options.none()));
        assertTrue(g.getMessage().startsWith(f + ": line 1: gold answer -1"), g.getMessage());
        Path w = tmp.resolve("winogrande.jsonl");
        Files.writeString(w, "{\"sentence\": \"no blank here\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}\n");
        CheckpointException wb = assertThrows(CheckpointException.class, () -> TASKS.get("winogrande").requests(List.of(w), Options.none()));
        assertEquals(w + ": line 1: sentence has no '_' blank", wb.getMessage());
    }

    @Test
    void requestsCliWritesJsonLines() throws IOException {
        Path out = tmp.resolve("req.jsonl");
        Cli.Result r = Cli.run("requests", "--task", "winogrande", "--data", HUB.toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals("{\"doc\":0,\"choice\":1,\"context\":\"The trophy did not fit in the suitcase because the suitcase\","
                + "\"continuation\":\" was too big.\"}", lines.get(1));
        Cli.Result bad = Cli.run("requests", "--task", "wikitext", "--data", HUB.toString(), "--out", out.toString());
        assertEquals(1, bad.status());
        assertTrue(bad.err().contains("does not send loglikelihood requests"), bad.err());
    }

    @Test
    void accAndAccNormArithmetic() {
        var doc = new MultipleChoiceTask.Doc(List.of("c"), List.of(" ab", " abcd"), 1, List.of("ab", "abcd"), null);
        // acc picks the larger loglikelihood (choice 0); acc_norm divides by characters: -4/2 = -2 < -6/4 = -1.5.
        double[][] s = MultipleChoiceTask.score(List.of(doc), new double[] {-4, -6});
        assertArrayEquals(new double[] {0}, s[0]);
        assertArrayEquals(new double[] {1}, s[1]);
        // Ties go to the first choice, like numpy.argmax.
        var tie = new MultipleChoiceTask.Doc(List.of("c"), List.of(" x", " y"), 1, List.of("x", "y"), null);
        assertArrayEquals(new double[] {0}, MultipleChoiceTask.score(List.of(tie), new double[] {-1, -1})[0]);
        // Winogrande: the loglikelihood of the shared continuation under each context.
        var wino = new MultipleChoiceTask.Doc(List.of("ctx a", "ctx b"), List.of(" rest"), 1, List.of("ctx a", "ctx b"), null);
        assertArrayEquals(new double[] {1}, MultipleChoiceTask.score(List.of(wino), new double[] {-3, -2})[0]);
        assertEquals(0.5, dev.moefrontier.harness.eval.MetricValue.mean(new double[] {1, 0, 1, 0}, true).value());
        assertEquals(Math.sqrt(1.0 / 3) / 2, dev.moefrontier.harness.eval.MetricValue.mean(new double[] {1, 0, 1, 0}, true).stderr(), 1e-15);
    }
}
