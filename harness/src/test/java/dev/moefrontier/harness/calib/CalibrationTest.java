package dev.moefrontier.harness.calib;

import dev.moefrontier.harness.spi.CalibrationStatistic;
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
import java.util.Map;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
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

    /** A statistic of this test: rows seen per layer. */
    static final CalibrationStatistic.Streamed ROWS = new CalibrationStatistic.Streamed() {
        @Override
        public String name() {
            return "test-rows";
        }

        @Override
        public String description() {
            return "rows seen";
        }

        @Override
        public int version() {
            return 1;
        }

        @Override
        public CalibrationStatistic.Accumulator start(ModelConfig config, int layer) {
            double[] rows = new double[1];
            return new CalibrationStatistic.Accumulator() {
                @Override
                public void observe(MoeLayerEvent e) {
                    rows[0] += e.batch().rows();
                }

                @Override
                public Map<String, double[]> values() {
                    return Map.of("rows", rows);
                }
            };
        }
    };

    @Test
    void batchedStatisticsEqualSequencesRunAlone() throws IOException {
        Path f = ids("seqs.json", 1, 5, 17);
        try (MoeTransformer m = MoeTransformer.open(model)) {
            CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(f), model, 64, 1 << 20);
            var all = List.of(RoutingStatistics.ROUTING, RoutingStatistics.OUTPUT_NORMS);
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
                }
                long routed = 0;
                for (int e = 0; e < 8; e++) {
                    routed += a.count(e);
                }
                assertEquals(2 * a.tokens(), routed, "k assignments per token");
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
            CalibrationStats first = cal.stats(m, data, List.of(RoutingStatistics.OUTPUT_NORMS));
            assertTrue(log.stream().noneMatch(s -> s.contains("reusing")));
            assertTrue(first.has(RoutingStatistics.ROUTING), "routing is always collected");
            CalibrationStats again = cal.stats(m, data, List.of(RoutingStatistics.OUTPUT_NORMS));
            assertEquals(2, log.stream().filter(s -> s.contains("reusing")).count(), "both served from the cache: " + log);
            assertEquals(first.layer(0).moment(1, 1, 3), again.layer(0).moment(1, 1, 3), 0.0, "saved and loaded exactly");
            assertFalse(cal.stats(m, data, List.of()).layer(0).hasOutputNorms(), "only what was asked for");
            log.clear();
            CalibrationStats more = cal.stats(m, data, List.of(RoutingStatistics.OUTPUT_NORMS, ROWS));
            assertEquals(2, log.stream().filter(s -> s.contains("reusing")).count(), "cached statistics are not recomputed: " + log);
            assertTrue(more.has(RoutingStatistics.OUTPUT_NORMS) && more.has(ROWS));
            assertEquals(first.layer(0).tokens(), (long) more.values(ROWS, 0).get("rows")[0], "the new one came from a pass");
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
            List<String> warnings = Calibrator.coverage(new Calibrator(null, 64, s -> { }).collect(m, data, List.of(), ModelPatch.NONE));
            assertEquals(2, warnings.size(), "one line per MoE layer");
            assertTrue(warnings.get(0).startsWith("warning: layer 0:") && warnings.get(0).contains("received no calibration tokens"));
        }
    }
}
