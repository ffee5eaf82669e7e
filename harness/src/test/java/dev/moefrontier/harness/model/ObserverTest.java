package dev.moefrontier.harness.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The observer API on a synthetic 256-expert Qwen3.5 layer, and batching with padding. */
class ObserverTest {
    @TempDir
    Path tmp;

    @Test
    void routesAndReportsEveryAssignmentOn256Experts() throws IOException {
        Path dir = tmp.resolve("q35-256");
        SyntheticCheckpoint.of("qwen3_5_moe").layers(2).fullAttentionInterval(2).hidden(32).heads(2, 1, 16)
                .experts(256, 8, 16).shared(32).vocab(300).seed(11).write(dir);
        Random r = new Random(1);
        List<int[]> seqs = List.of(r.ints(40, 0, 300).toArray(), r.ints(25, 0, 300).toArray());
        TokenBatch batch = new TokenBatch(seqs);
        List<Integer> layersSeen = new ArrayList<>();
        int[] expertsUsed = new int[1];
        try (MoeTransformer model = MoeTransformer.open(dir); NDManager m = NDManager.newBaseManager()) {
            assertEquals(TensorLayout.ExpertStorage.FUSED, model.weights().storage());
            model.forward(batch, new ForwardObserver() {
                @Override
                public void onMoe(MoeLayerEvent e) {
                    layersSeen.add(e.layer());
                    int n = batch.rows();
                    assertEquals(256, e.numExperts());
                    assertArrayEquals(new long[] {n, 256}, e.routerLogits().getShape().getShape());
                    assertArrayEquals(new long[] {n, 8}, e.topkIndices().getShape().getShape());
                    float[] w = e.topkWeightArray();
                    for (int row = 0; row < n; row++) {
                        double s = 0;
                        for (int j = 0; j < 8; j++) {
                            s += w[row * 8 + j];
                            assertTrue(j == 0 || w[row * 8 + j] <= w[row * 8 + j - 1], "largest first");
                        }
                        assertEquals(1.0, s, 1e-5, "qwen3.5 renormalizes top-k");
                    }
                    int assignments = 0;
                    int used = 0;
                    long[] idx = e.topkIndexArray();
                    for (int ex = 0; ex < 256; ex++) {
                        int[] rows = e.routedRows(ex);
                        int[] slots = e.routedSlots(ex);
                        assignments += rows.length;
                        used += rows.length > 0 ? 1 : 0;
                        for (int i = 0; i < rows.length; i++) {
                            assertEquals(ex, idx[rows[i] * 8 + slots[i]], "row/slot bookkeeping");
                        }
                        if (rows.length > 0 && ex % 7 == 0) {
                            // Grouped dispatch output == the expert applied directly to the same rows.
                            NDArray direct = e.expertOutput(ex).get(new NDIndex("{}",
                                    e.input().getManager().create(java.util.Arrays.stream(rows).asLongStream().toArray())));
                            assertTrue(ConformanceTest.maxAbsDiff(direct.toFloatArray(), e.routedOutputs(ex).toFloatArray()) < 1e-5);
                        }
                    }
                    assertEquals(n * 8, assignments);
                    expertsUsed[0] = Math.max(expertsUsed[0], used);
                }
            }, m);
        }
        assertEquals(List.of(0, 1), layersSeen);
        assertTrue(expertsUsed[0] > 100, "routing spreads over many of the 256 experts: " + expertsUsed[0]);
    }

    @Test
    void paddedBatchMatchesSequencesRunAlone() throws IOException {
        for (String type : new String[] {"qwen3_5_moe", "qwen2_moe"}) {
            Path dir = tmp.resolve(type);
            SyntheticCheckpoint.of(type).layers(2).fullAttentionInterval(2).hidden(32).heads(4, 2, 8)
                    .experts(8, 2, 16).shared(16).vocab(100).seed(2).write(dir);
            Random r = new Random(9);
            List<int[]> seqs = List.of(r.ints(9, 0, 100).toArray(), r.ints(23, 0, 100).toArray(), r.ints(1, 0, 100).toArray());
            try (MoeTransformer model = MoeTransformer.open(dir); NDManager m = NDManager.newBaseManager()) {
                List<float[]> routerAlone = new ArrayList<>();
                List<float[]> alone = new ArrayList<>();
                for (int[] s : seqs) {
                    alone.add(model.logits(s, new ForwardObserver() {
                        @Override
                        public boolean observesMoe(int layer) {
                            return layer == 1;
                        }

                        @Override
                        public void onMoe(MoeLayerEvent e) {
                            routerAlone.add(e.routerLogits().toFloatArray());
                        }
                    }, m).toFloatArray());
                }
                List<float[]> routerBatched = new ArrayList<>();
                TokenBatch batch = new TokenBatch(seqs);
                NDArray hidden = model.forward(batch, new ForwardObserver() {
                    @Override
                    public boolean observesMoe(int layer) {
                        return layer == 1;
                    }

                    @Override
                    public void onMoe(MoeLayerEvent e) {
                        float[] all = e.routerLogits().toFloatArray();
                        for (int s = 0; s < batch.size(); s++) {
                            int from = batch.rowStart(s) * 8;
                            routerBatched.add(java.util.Arrays.copyOfRange(all, from, from + batch.length(s) * 8));
                        }
                    }
                }, m);
                NDArray logits = model.logits(hidden);
                for (int s = 0; s < seqs.size(); s++) {
                    float[] got = logits.get(new NDIndex("{}, :{}", s, seqs.get(s).length))
                            .toType(DataType.FLOAT32, false).toFloatArray();
                    assertTrue(ConformanceTest.maxAbsDiff(alone.get(s), got) < 1e-4, type + " seq " + s);
                    assertTrue(ConformanceTest.maxAbsDiff(routerAlone.get(s), routerBatched.get(s)) < 1e-4, type + " router " + s);
                }
            }
        }
    }

    @Test
    void tokenBatchRowBookkeeping() {
        TokenBatch b = new TokenBatch(List.of(new int[] {1, 2, 3}, new int[] {4}, new int[] {5, 6}));
        assertEquals(6, b.rows());
        assertEquals(3, b.maxLength());
        assertTrue(b.padded());
        assertArrayEquals(new long[] {0, 1, 2, 3, 6, 7}, b.realPositions());
        assertArrayEquals(new long[] {1, 2, 3, 4, 0, 0, 5, 6, 0}, b.paddedIds());
        int[] seqOf = new int[6];
        int[] posOf = new int[6];
        for (int r = 0; r < 6; r++) {
            seqOf[r] = b.sequenceOfRow(r);
            posOf[r] = b.positionOfRow(r);
        }
        assertArrayEquals(new int[] {0, 0, 0, 1, 2, 2}, seqOf);
        assertArrayEquals(new int[] {0, 1, 2, 0, 0, 1}, posOf);
    }
}
