package dev.moefrontier.compressors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.compress.Accounting;
import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.HostArrays;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STUN and STUN+Wanda on a small synthetic model (methods.md §8). */
class StunCompressorTest {
    @TempDir
    static Path tmp;
    static Path qwen35;
    static Path calib;

    @BeforeAll
    static void models() throws IOException {
        qwen35 = tmp.resolve("qwen35");
        SyntheticCheckpoint.of("qwen3_5_moe").layers(2).fullAttentionInterval(2).hidden(32).heads(4, 2, 16)
                .experts(16, 4, 16).shared(24).vocab(64).seed(8).write(qwen35);
        calib = TestModels.calibration(tmp.resolve("calib.json"), 6, 6, 20, 64);
    }

    @Test
    void uniformBudgetKeepsTheClosestMemberToEachClusterMean() {
        try (MoeTransformer m = MoeTransformer.open(qwen35)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            for (String distance : new String[] {"coactivation", "router"}) {
                PruningPlan p = TestModels.plan(ctx, "stun", 0.5, Map.of("distance", distance));
                assertEquals(PruningPlan.Mode.DROP, p.mode());
                for (LayerPlan lp : p.layers()) {
                    assertEquals(8, lp.kept().length, distance + ": m = 8 merges on 16 experts");
                    assertTrue(lp.merges().isEmpty(), "STUN keeps a member unchanged");
                    LayerWeights w = m.weights().acquire(lp.layer());
                    try {
                        for (int k : lp.kept()) {
                            int[] members = java.util.stream.IntStream.range(0, 16).filter(i -> lp.redirect()[i] == k).toArray();
                            double[] dist = new double[members.length];
                            double[][] flat = new double[members.length][];
                            for (int i = 0; i < members.length; i++) {
                                float[] g = HostArrays.floats(w.moe().gateUpT().get(members[i]));
                                float[] d = HostArrays.floats(w.moe().downT().get(members[i]));
                                flat[i] = new double[g.length + d.length];
                                for (int t = 0; t < g.length; t++) {
                                    flat[i][t] = g[t];
                                }
                                for (int t = 0; t < d.length; t++) {
                                    flat[i][g.length + t] = d[t];
                                }
                            }
                            for (int i = 0; i < members.length; i++) {
                                for (int t = 0; t < flat[i].length; t++) {
                                    double mean = 0;
                                    for (double[] f : flat) {
                                        mean += f[t] / members.length;
                                    }
                                    dist[i] += (flat[i][t] - mean) * (flat[i][t] - mean);
                                }
                            }
                            int best = 0;
                            for (int i = 1; i < members.length; i++) {
                                if (dist[i] < dist[best] * (1 - 1e-6)) {
                                    best = i;
                                }
                            }
                            assertEquals(members[best], k, "the kept member is the one nearest the cluster mean");
                        }
                    } finally {
                        m.weights().release(w);
                    }
                }
            }
        }
    }

    @Test
    void globalBudgetHitsTheTotalAndReportsPerLayerCounts() {
        try (MoeTransformer m = MoeTransformer.open(qwen35)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            for (double r : new double[] {0.25, 0.5, 0.75}) {
                PruningPlan p = TestModels.plan(ctx, "stun", r, Map.of("budget", "global"));
                int keep = 16 - ctx.pruneCount(r);
                int total = p.layers().stream().mapToInt(lp -> lp.kept().length).sum();
                assertEquals(2 * keep, total, "total kept at " + r);
                for (LayerPlan lp : p.layers()) {
                    assertEquals(lp.kept().length, p.figures().perLayer().get("kept").get(lp.layer()), 0);
                    assertTrue(lp.kept().length >= 4, "at least top_k");
                }
                assertTrue(p.figures().number("threshold").isPresent());
                PruningPlan perLayer = TestModels.plan(ctx, "stun", r, Map.of("budget", "layer"));
                for (LayerPlan lp : perLayer.layers()) {
                    assertEquals(keep, lp.kept().length, "budget=layer: every layer keeps E - m at " + r);
                }
            }
        }
    }

    @Test
    void stunWandaSplitsTheSparsityAsEveryHybrid() {
        try (MoeTransformer m = MoeTransformer.open(qwen35)) {
            CompressionContext ctx = TestModels.context(m, calib, TestModels.all());
            var c = m.config();
            for (double total : new double[] {0.5, 0.66}) {
                PruningPlan p = TestModels.plan(ctx, "stun+wanda", total, Map.of());
                assertEquals(total / 2, p.figures().number("r1").orElseThrow(), 1e-12);
                double achieved = (double) ctx.pruneCount(total / 2) / 16;
                assertEquals(Budget.hybridSparsity(c, total, achieved), p.figures().number("r2").orElseThrow(), 1e-12);
                assertEquals(16 - ctx.pruneCount(total / 2), p.layers().get(0).kept().length, "stage 1 is STUN at r1");
                Accounting a = Budget.account(c, p);
                double bound = 1.0 / Math.min(c.hiddenSize(), Math.min(c.moe().intermediate(), c.moe().sharedIntermediate()));
                assertTrue(a.compression() <= total + 1e-12 && total - a.compression() < bound, "total " + total + " achieved "
                        + a.compression());
            }
        }
    }
}
