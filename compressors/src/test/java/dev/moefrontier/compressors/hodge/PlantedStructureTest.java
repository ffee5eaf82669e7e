package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.io.SafetensorsWriter;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A hand-built MoE layer in which experts A, B, C (0, 1, 2) are pairwise mergeable but not jointly, and D..I (3..8) are
 * identical. Attention is zero; token group t is routed (top-1) to expert t; every expert has one neuron with the same
 * down projection, so its output on group t is silu(g) · u with (g, u) set per expert and group:
 *
 * <pre>
 *   on A's tokens: A = (10, 1), B = (30, 0), C = (0, 3)      (cyclically for B's and C's tokens)
 *   any pair average keeps silu(g)·u ≈ 10, the triple average gives silu(13.3)·1.33 ≈ 17.8
 *   D..I: (10, 1) on their own groups; between the two families (−30, 1), so cross merges kill the output
 * </pre>
 *
 * The barriers measured from the model must show the planted structure, and the harmonic part must live on the cycle
 * A-B-C (an open triangle of K: β1 = 1).
 */
class PlantedStructureTest {
    static final int E = 9;
    static final int H = 16;
    static final int V = 16;

    @TempDir
    static Path tmp;
    static Path model;
    static Path ids;

    @BeforeAll
    static void build() throws IOException {
        Progress.quiet(true);
        model = tmp.resolve("planted");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"olmoe\", \"hidden_size\": " + H
                + ", \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"num_key_value_heads\": 2,"
                + " \"intermediate_size\": 1, \"num_experts\": " + E + ", \"num_experts_per_tok\": 1, \"vocab_size\": " + V
                + ", \"rms_norm_eps\": 1e-6, \"rope_theta\": 10000.0, \"norm_topk_prob\": false, \"clip_qkv\": null,"
                + " \"tie_word_embeddings\": false, \"hidden_act\": \"silu\", \"torch_dtype\": \"float32\"}");
        SafetensorsWriter w = new SafetensorsWriter();
        float[] embed = new float[V * H];
        for (int t = 0; t < E; t++) {
            embed[t * H + t] = 10f; // token t: group t, magnitude 10
        }
        w.addFloats("model.embed_tokens.weight", DType.F32, new long[] {V, H}, embed);
        String p = "model.layers.0.";
        w.addFloats(p + "input_layernorm.weight", DType.F32, new long[] {H}, fill(H, 1f));
        w.addFloats(p + "post_attention_layernorm.weight", DType.F32, new long[] {H}, fill(H, 0.25f)); // x = one-hot
        for (String proj : new String[] {"q", "k", "v", "o"}) {
            w.addFloats(p + "self_attn." + proj + "_proj.weight", DType.F32, new long[] {H, H}, new float[H * H]);
        }
        w.addFloats(p + "self_attn.q_norm.weight", DType.F32, new long[] {H}, fill(H, 1f));
        w.addFloats(p + "self_attn.k_norm.weight", DType.F32, new long[] {H}, fill(H, 1f));
        float[] router = new float[E * H];
        for (int e = 0; e < E; e++) {
            router[e * H + e] = 20f;
        }
        w.addFloats(p + "mlp.gate.weight", DType.F32, new long[] {E, H}, router);
        for (int e = 0; e < E; e++) {
            float[] gate = new float[H];
            float[] up = new float[H];
            for (int t = 0; t < E; t++) {
                float[] gu = preActivation(e, t);
                gate[t] = gu[0];
                up[t] = gu[1];
            }
            float[] down = new float[H];
            down[9] = 1f; // all experts write to the same direction
            w.addFloats(p + "mlp.experts." + e + ".gate_proj.weight", DType.F32, new long[] {1, H}, gate);
            w.addFloats(p + "mlp.experts." + e + ".up_proj.weight", DType.F32, new long[] {1, H}, up);
            w.addFloats(p + "mlp.experts." + e + ".down_proj.weight", DType.F32, new long[] {H, 1}, down);
        }
        w.addFloats("model.norm.weight", DType.F32, new long[] {H}, fill(H, 1f));
        float[] head = new float[V * H];
        head[9] = 1f; // token 0 reads the expert output
        for (int t = 0; t < E; t++) {
            head[H + t] = 1f; // token 1 reads the group component
        }
        w.addFloats("lm_head.weight", DType.F32, new long[] {V, H}, head);
        w.write(model.resolve("model.safetensors"));

        Random r = new Random(1);
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int s = 0; s < 4; s++) {
            List<Integer> toks = new ArrayList<>();
            for (int rep = 0; rep < 4; rep++) {
                for (int t = 0; t < E; t++) {
                    toks.add(t);
                }
            }
            Collections.shuffle(toks, r);
            sb.append(s == 0 ? "" : ",").append(toks);
        }
        ids = tmp.resolve("ids.json");
        Files.writeString(ids, sb.append("]}").toString());
    }

    /** (g, u) of expert e on group t. */
    static float[] preActivation(int e, int t) {
        boolean abcE = e < 3;
        boolean abcT = t < 3;
        if (abcE != abcT) {
            return new float[] {-30f, 1f}; // across the families
        }
        if (!abcT) {
            return new float[] {10f, 1f}; // D..I are identical
        }
        int offset = Math.floorMod(e - t, 3);
        return offset == 0 ? new float[] {10f, 1f} : offset == 1 ? new float[] {30f, 0f} : new float[] {0f, 3f};
    }

    static float[] fill(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @ParameterizedTest
    @EnumSource(MergeBarriers.Mode.class)
    void barriersShowThePlantedCycleAndHarmLivesOnIt(MergeBarriers.Mode mode) {
        try (MoeTransformer m = MoeTransformer.open(model)) {
            CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(ids), model, V, 1 << 20);
            CalibrationStats st = new Calibrator(null, 4096, s -> { }).collect(m, data, java.util.List.of(RoutingStatistics.OUTPUT_NORMS), ModelPatch.NONE);
            for (int e = 0; e < E; e++) {
                assertEquals(16, st.layer(0).count(e), "each group routed to its own expert");
            }
            LayerBarriers lb;
            try (MergeBarriers mb = new MergeBarriers(m, st, data.windows(), mode, 4096)) {
                lb = BarrierStatistic.compute(mb, 0, E, new BarrierSettings(mode, 0, 500, 0, 4096, 0));
            }
            double[][] b = lb.pairs();
            double pairMax = Math.max(b[0][1], Math.max(b[1][2], b[0][2]));
            double cross = Double.POSITIVE_INFINITY;
            double within = 0;
            for (int i = 0; i < E; i++) {
                for (int j = i + 1; j < E; j++) {
                    if ((i < 3) != (j < 3)) {
                        cross = Math.min(cross, b[i][j]);
                    } else if (i >= 3) {
                        within = Math.max(within, b[i][j]);
                    }
                }
            }
            double abc = Double.NaN;
            for (int f = 0; f < lb.candidates().length; f++) {
                if (java.util.Arrays.equals(lb.candidates()[f], new int[] {0, 1, 2})) {
                    abc = lb.triplets()[f];
                }
            }
            assertTrue(pairMax > 0 && pairMax < 1e-3, mode + ": A, B, C pairwise mergeable: " + pairMax);
            assertTrue(abc > 50 * pairMax && abc > 1e-2, mode + ": not jointly: b_ABC = " + abc + " vs pairs " + pairMax);
            assertTrue(cross > abc && cross > 100 * pairMax, mode + ": merging across families is worst: " + cross);
            assertTrue(within < 1e-7, mode + ": identical experts merge for free: " + within);

            HodgeCover.Complex c = HodgeCover.complex(lb.input(new double[E], 3), HodgeParams.defaults());
            assertEquals(1, c.filtration().betti1(), mode + ": one open cycle");
            for (int[] face : c.faces()) {
                assertFalse(java.util.Arrays.equals(face, new int[] {0, 1, 2}), "the A-B-C triangle stays open");
            }
            double onCycle = 0;
            double total = 0;
            int[][] edges = c.filtration().edges();
            for (int e = 0; e < edges.length; e++) {
                double h2 = c.decomposition().harm()[e] * c.decomposition().harm()[e];
                total += h2;
                if (edges[e][0] < 3 && edges[e][1] < 3) {
                    onCycle += h2;
                }
            }
            assertTrue(total > 0 && onCycle / total > 0.999, mode + ": harmonic energy on A-B-C: " + onCycle / total);
            assertTrue(c.decomposition().harmonicEnergyFraction() > 0.05, mode + ": a visible harmonic part");
        }
    }
}
