package dev.moefrontier.harness.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.PruningPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redirected top-k slots that land on one expert combine their gates as the plan's rule says (methods.md §2, §4.12). */
class DuplicateGatesTest {
    @TempDir
    Path tmp;

    @Test
    void sumMaxAndRenormalizeCombineDuplicateSlotsAsStated() throws Exception {
        Path dir = tmp.resolve("olmoe-k3");
        SyntheticCheckpoint.of("olmoe").layers(1).hidden(16).heads(2, 2, 8).experts(8, 3, 8).vocab(64).seed(3).write(dir);
        Random r = new Random(5);
        TokenBatch batch = new TokenBatch(List.of(r.ints(48, 0, 64).toArray()));
        int[] target = {0, 1, 2, 3, 0, 1, 2, 3}; // experts 4..7 served by 0..3
        try (MoeTransformer model = MoeTransformer.open(dir); NDManager out = NDManager.newBaseManager()) {
            int layer = model.config().moeLayers().get(0);
            List<float[]> w0 = new ArrayList<>();
            List<long[]> i0 = new ArrayList<>();
            model.forward(batch, capture(w0, i0), out);
            PruningPlan base = new PruningPlan("test", Map.of(), 0.5, PruningPlan.Mode.REDIRECT,
                    List.of(LayerPlan.of(layer, 8, new int[] {0, 1, 2, 3}, target, List.of())), null, Map.of());
            int duplicates = 0;
            for (MoeOverride.DuplicateGates rule : MoeOverride.DuplicateGates.values()) {
                List<float[]> w = new ArrayList<>();
                List<long[]> idx = new ArrayList<>();
                try (AppliedPlan applied = new AppliedPlan(model, base.withDuplicateGates(rule))) {
                    model.forward(batch, applied, capture(w, idx), out);
                }
                float[] before = w0.get(0);
                long[] beforeIdx = i0.get(0);
                float[] after = w.get(0);
                int k = 3;
                for (int row = 0; row < before.length / k; row++) {
                    // expected: slots in order; a later slot mapping to an earlier slot's expert is folded into it
                    float[] want = new float[k];
                    int[] owner = new int[k];
                    float total = 0;
                    boolean dup = false;
                    for (int s = 0; s < k; s++) {
                        total += before[row * k + s];
                        owner[s] = s;
                        for (int t = 0; t < s; t++) {
                            if (owner[t] == t && target[(int) beforeIdx[row * k + t]] == target[(int) beforeIdx[row * k + s]]) {
                                owner[s] = t;
                                break;
                            }
                        }
                        float g = before[row * k + s];
                        if (owner[s] == s) {
                            want[s] = g;
                        } else {
                            dup = true;
                            int t = owner[s];
                            want[t] = rule == MoeOverride.DuplicateGates.SUM ? want[t] + g
                                    : rule == MoeOverride.DuplicateGates.MAX ? Math.max(want[t], g) : want[t];
                        }
                    }
                    if (dup && rule == MoeOverride.DuplicateGates.RENORMALIZE) {
                        float kept = 0;
                        for (float x : want) {
                            kept += x;
                        }
                        for (int s = 0; s < k; s++) {
                            want[s] *= total / kept;
                        }
                    }
                    if (dup && rule == MoeOverride.DuplicateGates.SUM) {
                        duplicates++;
                    }
                    for (int s = 0; s < k; s++) {
                        assertEquals(want[s], after[row * k + s], 1e-6, rule + " row " + row + " slot " + s);
                    }
                }
            }
            assertTrue(duplicates > 5, "the batch has tokens with redirected duplicates: " + duplicates);
        }
    }

    private static ForwardObserver capture(List<float[]> weights, List<long[]> indices) {
        return new ForwardObserver() {
            @Override
            public void onMoe(MoeLayerEvent e) {
                weights.add(e.topkWeightArray());
                indices.add(e.topkIndexArray());
            }
        };
    }
}
