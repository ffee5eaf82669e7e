package dev.moefrontier.harness.calib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.testing.WordTokenizer;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationTest {
    static final String[] WORDS = {"the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "and", "then", "slept"};

    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void setUp() throws IOException {
        Progress.quiet(true);
        model = tmp.resolve("model");
        SyntheticCheckpoint.of("qwen2_moe").layers(2).hidden(32).heads(4, 2, 8).experts(8, 2, 16).shared(16).vocab(64).seed(3).write(model);
        List<String> vocab = new ArrayList<>(List.of("[UNK]"));
        vocab.addAll(List.of(WORDS));
        WordTokenizer.write(model, vocab);
    }

    private static Path ids(String name, long seed, int seqs, int len) throws IOException {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int s = 0; s < seqs; s++) {
            sb.append(s == 0 ? "[" : ", [");
            int n = len - s; // unequal lengths: exercises padding
            for (int t = 0; t < n; t++) {
                sb.append(t == 0 ? "" : ", ").append(r.nextInt(64));
            }
            sb.append(']');
        }
        Path f = tmp.resolve(name);
        Files.writeString(f, sb.append("]}").toString());
        return f;
    }

    @Test
    void batchedStatisticsEqualSequencesRunAlone() throws IOException {
        Path f = ids("seqs.json", 1, 5, 17);
        try (MoeTransformer m = MoeTransformer.open(model)) {
            CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(f), model, 64, 1 << 20);
            var all = EnumSet.allOf(Statistic.class);
            CalibrationStats batched = new Calibrator(null, 4096, s -> { }).collect(m, data, all, ModelPatch.NONE);
            CalibrationStats alone = new Calibrator(null, 1, s -> { }).collect(m, data, all, ModelPatch.NONE);
            for (int l : batched.layers()) {
                LayerStats a = batched.layer(l);
                LayerStats b = alone.layer(l);
                assertEquals(5 * 17 - 10, a.tokens());
                assertEquals(a.tokens(), b.tokens());
                for (int e = 0; e < 8; e++) {
                    assertEquals(a.count(e), b.count(e), "counts are exact");
                    for (int x = 0; x < 3; x++) {
                        for (int y = 0; y < 3; y++) {
                            assertEquals(b.moment(x, y, e), a.moment(x, y, e), 1e-4 * (1 + Math.abs(b.moment(x, y, e))));
                        }
                    }
                    assertArrayEquals(b.wandaInput(e), a.wandaInput(e), 1e-3);
                    assertArrayEquals(b.meanOutput(e), a.meanOutput(e), 1e-4);
                }
                long routed = 0;
                for (int e = 0; e < 8; e++) {
                    routed += a.count(e);
                }
                assertEquals(2 * a.tokens(), routed, "k assignments per token");
                assertArrayEquals(b.sharedInput(), a.sharedInput(), 1e-3);
                assertTrue(a.hasGram());
            }
        }
    }

    @Test
    void cacheIsReusedExtendedAndInvalidated() throws IOException {
        Path cache = tmp.resolve("cache");
        Path f = ids("cached.json", 2, 3, 12);
        List<String> log = new ArrayList<>();
        Calibrator cal = new Calibrator(cache, 4096, log::add);
        try (MoeTransformer m = MoeTransformer.open(model)) {
            CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(f), model, 64, 1 << 20);
            CalibrationStats first = cal.stats(m, data, EnumSet.of(Statistic.OUTPUT_NORMS));
            assertTrue(log.stream().noneMatch(s -> s.contains("reusing")));
            CalibrationStats again = cal.stats(m, data, EnumSet.of(Statistic.ROUTING));
            assertTrue(log.stream().anyMatch(s -> s.contains("reusing")), "subset served from the cache");
            assertEquals(first.layer(0).moment(1, 1, 3), again.layer(0).moment(1, 1, 3), 0.0, "saved and loaded exactly");
            log.clear();
            CalibrationStats more = cal.stats(m, data, EnumSet.of(Statistic.WANDA_INPUTS));
            assertTrue(log.stream().noneMatch(s -> s.contains("reusing")), "a missing statistic forces a new pass");
            assertTrue(more.has(EnumSet.of(Statistic.OUTPUT_NORMS, Statistic.WANDA_INPUTS)), "the union is kept");
            String key = Calibrator.key(m.checkpoint().fingerprint(), data.spec());
            Files.writeString(f, Files.readString(f).replace("[[", "[[1, "));
            assertFalse(key.equals(Calibrator.key(m.checkpoint().fingerprint(), data.spec())), "editing the file changes the key");
        }
    }

    @Test
    void textAndJsonlCorporaAreTokenizedIntoSeededWindows() throws IOException {
        Random r = new Random(5);
        StringBuilder text = new StringBuilder();
        StringBuilder jsonl = new StringBuilder();
        for (int d = 0; d < 20; d++) {
            StringBuilder doc = new StringBuilder();
            for (int w = 0; w < 15; w++) {
                doc.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
            }
            text.append(doc).append("\n\n");
            jsonl.append("{\"text\": \"").append(doc).append("\"}\n");
        }
        Path txt = tmp.resolve("corpus.txt");
        Path jl = tmp.resolve("corpus.jsonl");
        Files.writeString(txt, text);
        Files.writeString(jl, jsonl);
        CalibrationData a = CalibrationData.load(new CalibrationSpec(txt, 6, 10, 42), model, 64, 1 << 20);
        CalibrationData b = CalibrationData.load(new CalibrationSpec(jl, 6, 10, 42), model, 64, 1 << 20);
        CalibrationData c = CalibrationData.load(new CalibrationSpec(txt, 6, 10, 43), model, 64, 1 << 20);
        assertEquals(6, a.windows().size());
        assertEquals(60, a.tokens());
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(a.windows().get(i), b.windows().get(i), "same documents, same windows");
            for (int id : a.windows().get(i)) {
                assertTrue(id >= 1 && id <= WORDS.length, "every word known to the tokenizer");
            }
        }
        assertFalse(a.windows().stream().map(java.util.Arrays::toString).toList()
                .equals(c.windows().stream().map(java.util.Arrays::toString).toList()), "another seed draws other windows");
        Files.writeString(jl, jsonl + "{\"txt\": 1}\n");
        CheckpointException bad = assertThrows(CheckpointException.class, () -> CalibrationData.load(new CalibrationSpec(jl, 6, 10, 1), model, 64, 1 << 20));
        assertTrue(bad.getMessage().contains(jl.toString()) && bad.getMessage().contains("line 21"), bad.getMessage());
        CheckpointException tooShort = assertThrows(CheckpointException.class,
                () -> CalibrationData.load(new CalibrationSpec(txt, 1, 10_000, 1), model, 64, 1 << 20));
        assertTrue(tooShort.getMessage().contains("fewer than one window"), tooShort.getMessage());
    }

    @Test
    void expertsWithoutTokensAreReported() throws IOException {
        Path f = tmp.resolve("one.json");
        Files.writeString(f, "{\"input_ids\": [[1, 2]]}");
        try (MoeTransformer m = MoeTransformer.open(model)) {
            CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(f), model, 64, 1 << 20);
            List<String> warnings = Calibrator.coverage(new Calibrator(null, 64, s -> { }).collect(m, data, EnumSet.of(Statistic.ROUTING), ModelPatch.NONE));
            assertEquals(2, warnings.size(), "one line per MoE layer");
            assertTrue(warnings.get(0).startsWith("warning: layer 0:") && warnings.get(0).contains("received no calibration tokens"));
        }
    }
}
