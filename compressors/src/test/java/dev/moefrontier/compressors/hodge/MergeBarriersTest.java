package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.compress.ExpertMerge;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeOverride;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Barriers against brute force: the merged model run end to end on every window. */
class MergeBarriersTest {
    @TempDir
    static Path tmp;
    static List<int[]> windows = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        Progress.quiet(true);
        Random r = new Random(4);
        for (int s = 0; s < 5; s++) {
            windows.add(r.ints(12 + s, 0, 64).toArray());
        }
    }

    static CalibrationStats stats(MoeTransformer m) throws IOException {
        Path f = tmp.resolve("ids-" + m.config().modelType() + ".json");
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int i = 0; i < windows.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(java.util.Arrays.toString(windows.get(i)));
        }
        Files.writeString(f, sb.append("]}").toString());
        CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(f), m.checkpoint().dir(), 64, 1 << 20);
        return new Calibrator(null, 4096, s -> { }).collect(m, d, java.util.List.of(), ModelPatch.NONE);
    }

    static Path model(String type) throws IOException {
        Path dir = tmp.resolve(type);
        if (!Files.exists(dir)) {
            SyntheticCheckpoint.of(type).layers(3).fullAttentionInterval(2).hidden(32).heads(4, 2, 16).experts(8, 2, 16)
                    .shared(16).vocab(64).seed(9).write(dir);
        }
        return dir;
    }

    /** Mean over positions of KL(dense || merged), the merged model run from the embeddings on every window. */
    static double bruteForce(MoeTransformer m, CalibrationStats st, int layer, int[] members) {
        long[] counts = new long[8];
        for (int e = 0; e < 8; e++) {
            counts[e] = st.layer(layer).count(e);
        }
        double[] a = ExpertMerge.frequencyWeights(members, counts);
        double total = 0;
        long positions = 0;
        try (NDManager nd = NDManager.newBaseManager()) {
            ModelPatch patch = (l, w) -> {
                if (l != layer) {
                    return null;
                }
                NDArray gu = null;
                NDArray dn = null;
                for (int i = 0; i < members.length; i++) {
                    NDArray g = w.gateUpT().get(members[i]).mul((float) a[i]);
                    NDArray d = w.downT().get(members[i]).mul((float) a[i]);
                    g.attach(nd);
                    d.attach(nd);
                    gu = gu == null ? g : gu.add(g);
                    dn = dn == null ? d : dn.add(d);
                    gu.attach(nd);
                    dn.attach(nd);
                }
                NDArray[] gus = new NDArray[8];
                NDArray[] dns = new NDArray[8];
                for (int e : members) {
                    gus[e] = gu;
                    dns[e] = dn;
                }
                return new MoeOverride(null, null, gus, dns, null, null, null);
            };
            for (int[] w : windows) {
                NDArray p = m.logits(w, ForwardObserver.NONE, nd).logSoftmax(-1);
                NDArray q = m.logits(w, patch, ForwardObserver.NONE, nd).logSoftmax(-1);
                for (float v : p.exp().mul(p.sub(q)).sum(new int[] {-1}).toFloatArray()) {
                    total += v;
                }
                positions += w.length;
            }
        }
        return total / positions;
    }

    @Test
    void fullBarriersEqualBruteForce() throws IOException {
        for (String type : new String[] {"olmoe", "qwen3_5_moe"}) {
            try (MoeTransformer m = MoeTransformer.open(model(type))) {
                CalibrationStats st = stats(m);
                List<int[]> merges = List.of(new int[] {0, 1}, new int[] {2, 5}, new int[] {3, 7}, new int[] {1, 4, 6});
                for (int layer : new int[] {0, 2}) {
                    double[] got;
                    // small batches force several merge groups and chunks
                    try (MergeBarriers mb = new MergeBarriers(m, st, windows, MergeBarriers.Mode.FULL, 40)) {
                        got = mb.compute(layer, merges, "test");
                    }
                    for (int i = 0; i < merges.size(); i++) {
                        double want = bruteForce(m, st, layer, merges.get(i));
                        assertTrue(want > 1e-6, "merging changes something");
                        assertEquals(want, got[i], 1e-4 * want + 1e-7, type + " layer " + layer + " merge " + i);
                    }
                }
            }
        }
    }

    /**
     * The FLOP bound (methods.md 4.2) from routing observed independently: LOCAL counts each row routed to a member once
     * through the merged expert and the head, plus the reference head per position; FULL each hit window's tokens
     * through layers l..L and the head.
     */
    @Test
    void flopBoundCountsTheRowsAndWindowsEachMergeNeeds() throws IOException {
        try (MoeTransformer m = MoeTransformer.open(model("olmoe"))) {
            CalibrationStats st = stats(m);
            var c = m.config();
            int layer = 1;
            List<java.util.Set<Integer>> expertsOfToken = new ArrayList<>(); // per window, per position: the experts it uses
            List<Integer> windowOfToken = new ArrayList<>();
            for (int w = 0; w < windows.size(); w++) {
                int win = w;
                m.run(List.of(new dev.moefrontier.harness.model.TokenBatch(List.of(windows.get(w)))), new ForwardObserver() {
                    @Override
                    public void onMoe(dev.moefrontier.harness.model.MoeLayerEvent e) {
                        if (e.layer() == layer) {
                            long[] idx = e.topkIndexArray();
                            int k = c.moe().topK();
                            for (int r = 0; r < idx.length / k; r++) {
                                java.util.Set<Integer> s = new java.util.HashSet<>();
                                for (int q = 0; q < k; q++) {
                                    s.add((int) idx[r * k + q]);
                                }
                                expertsOfToken.add(s);
                                windowOfToken.add(win);
                            }
                        }
                    }
                }, (i, b, h) -> { });
            }
            List<int[]> merges = List.of(new int[] {0, 1}, new int[] {2, 5}, new int[] {3, 7}, new int[] {1, 4, 6});
            double perRow = dev.moefrontier.harness.model.Flops.expertPerToken(c) + dev.moefrontier.harness.model.Flops.headPerToken(c);
            double local = expertsOfToken.size() * dev.moefrontier.harness.model.Flops.headPerToken(c);
            double full = 0;
            for (int[] mg : merges) {
                java.util.Set<Integer> hit = new java.util.HashSet<>();
                for (int t = 0; t < expertsOfToken.size(); t++) {
                    for (int e : mg) {
                        if (expertsOfToken.get(t).contains(e)) {
                            local += perRow;
                            hit.add(windowOfToken.get(t));
                            break;
                        }
                    }
                }
                for (int w : hit) {
                    int len = windows.get(w).length;
                    full += len * dev.moefrontier.harness.model.Flops.fromLayerPerToken(c, layer, len);
                }
            }
            assertTrue(full > 0 && local > 0);
            for (MergeBarriers.Mode mode : MergeBarriers.Mode.values()) {
                try (MergeBarriers mb = new MergeBarriers(m, st, windows, mode, 40)) {
                    mb.compute(layer, merges.subList(0, 3), "test"); // pairs: the grouped pair algorithm
                    mb.compute(layer, merges.subList(3, 4), "test"); // a triplet: merge by merge
                    double want = mode == MergeBarriers.Mode.LOCAL ? local : full;
                    assertEquals(want, mb.flopBound(), 1e-9 * want, mode + " FLOP bound");
                }
            }
        }
    }

    @Test
    void groupedLocalPairsEqualMergeByMerge() throws IOException {
        for (String type : new String[] {"qwen2_moe", "mixtral"}) {
            try (MoeTransformer m = MoeTransformer.open(model(type));
                    MergeBarriers mb = new MergeBarriers(m, stats(m), windows, MergeBarriers.Mode.LOCAL, 64)) {
                for (int layer : new int[] {0, 1}) {
                    double[][] grouped = mb.pairMatrix(layer, 8);
                    for (int i = 0; i < 8; i++) {
                        for (int j = i + 1; j < 8; j++) {
                            double one = Math.max(0, mb.localGeneral(layer, new int[] {i, j}) / mb.positions());
                            assertEquals(one, grouped[i][j], 1e-4 * one + 1e-7, type + " layer " + layer + " pair " + i + "," + j);
                            assertEquals(grouped[i][j], grouped[j][i], 0.0);
                        }
                    }
                }
            }
        }
    }

    /** Barriers computed under a budget too small to keep the reference distributions equal those under a large one. */
    @Test
    void barriersDoNotDependOnTheMemoryBudget() throws IOException {
        try (MoeTransformer m = MoeTransformer.open(model("olmoe"))) {
            CalibrationStats st = stats(m);
            List<int[]> triplets = List.of(new int[] {0, 1, 2}, new int[] {3, 5, 7});
            for (MergeBarriers.Mode mode : MergeBarriers.Mode.values()) {
                double[][] pairs = new double[2][];
                double[][] trip = new double[2][];
                boolean[] kept = new boolean[2];
                long[] budgets = {8L << 30, tightBudget(m, mode)};
                for (int b = 0; b < 2; b++) {
                    try (MergeBarriers mb = new MergeBarriers(m, st, windows, mode, 40, budgets[b])) {
                        double[][] pm = mb.pairMatrix(1, 8);
                        pairs[b] = java.util.Arrays.stream(pm).flatMapToDouble(java.util.Arrays::stream).toArray();
                        trip[b] = mb.compute(1, triplets, "test");
                        kept[b] = mb.keepsReferences();
                    }
                }
                assertTrue(kept[0] && !kept[1], mode + ": the tight budget recomputes the references instead of keeping them");
                org.junit.jupiter.api.Assertions.assertArrayEquals(pairs[0], pairs[1], 0.0, mode + " pairs");
                org.junit.jupiter.api.Assertions.assertArrayEquals(trip[0], trip[1], 0.0, mode + " triplets");
            }
        }
    }

    /** A budget that holds the fixed part of a layer but not its reference distributions. */
    private static long tightBudget(MoeTransformer m, MergeBarriers.Mode mode) {
        long positions = windows.stream().mapToLong(w -> w.length).sum();
        long h = m.config().hiddenSize();
        long v = m.config().vocabSize();
        long fixed = mode == MergeBarriers.Mode.FULL ? 4 * positions * h + 4 * MergeBarriers.BLOCK_BYTES
                : 4 * positions * (2 + m.config().moe().topK()) * h + 2 * MergeBarriers.BLOCK_BYTES;
        return fixed + 4 * positions * v / 2;
    }
}
