package dev.moefrontier.compressors.stun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** STUN's greedy clustering and its budgets (methods.md §8.2–8.3). */
class StunClusteringTest {
    static double[][] random(int e, long seed, int levels) {
        Random r = new Random(seed);
        double[][] d = new double[e][e];
        for (int i = 0; i < e; i++) {
            for (int j = i + 1; j < e; j++) {
                d[i][j] = d[j][i] = levels > 0 ? -r.nextInt(levels) : -r.nextDouble();
            }
        }
        return d;
    }

    @Test
    void anInfiniteThresholdMakesExactlyTheBudgetedMerges() {
        for (long seed = 0; seed < 5; seed++) {
            StunClustering c = new StunClustering(random(16, seed, seed % 2 == 0 ? 0 : 3)); // odd seeds: many ties
            for (int m = 0; m <= 14; m++) {
                assertEquals(16 - m, StunClustering.count(c.clusters(Double.POSITIVE_INFINITY, m)), "seed " + seed + " m " + m);
            }
        }
    }

    @Test
    void theRejectionRuleChecksEveryMemberAgainstTheOtherEnd() {
        // d(0,1) smallest: {0,1}. Next d(1,2) = -8 but d(0,2) = -1 is not below tau = -2: rejected (complete check),
        // then d(2,3) = -7 merges {2,3}; d(0,3) = -6: members 0,1 against 3 and 2,3 against 0: d(1,3) = -5 ok, d(2,0) = -1
        // is not below tau: rejected. Result {0,1}, {2,3}.
        double[][] d = {
            {0, -10, -1, -6},
            {-10, 0, -8, -5},
            {-1, -8, 0, -7},
            {-6, -5, -7, 0}};
        StunClustering c = new StunClustering(d);
        assertArrayEquals(new int[] {0, 0, 2, 2}, c.clusters(-2, 10));
        // with tau = 0 every check passes: one cluster
        assertArrayEquals(new int[] {0, 0, 0, 0}, c.clusters(0, 10));
        // nothing below tau: singletons
        assertArrayEquals(new int[] {0, 1, 2, 3}, c.clusters(-10, 10));
    }

    @Test
    void tiesGoToTheRowMajorFirstEntry() {
        double[][] d = {{0, -1, -1}, {-1, 0, -1}, {-1, -1, 0}};
        assertArrayEquals(new int[] {0, 0, 2}, new StunClustering(d).clusters(Double.POSITIVE_INFINITY, 1), "(0,1) first");
    }

    @Test
    void theGlobalThresholdHitsItsTotalExactly() {
        for (int levels : new int[] {0, 2, 5}) { // continuous values, and heavy ties (e.g. pairs never co-activated)
            for (int target = 4 * 16; target >= 4 * 3; target -= 7) {
                Map<Integer, StunClustering> layers = new LinkedHashMap<>();
                for (int l = 0; l < 4; l++) {
                    layers.put(l, new StunClustering(random(16, 100 + l, levels)));
                }
                Map<Integer, int[]> labels = new LinkedHashMap<>();
                StunCompressor.globalThreshold(layers, target, 16 - 2, labels);
                int total = 0;
                for (int[] lab : labels.values()) {
                    int k = StunClustering.count(lab);
                    total += k;
                    org.junit.jupiter.api.Assertions.assertTrue(k >= 2, "each layer keeps at least top_k");
                }
                assertEquals(target, total, "levels " + levels + " target " + target);
            }
        }
    }

    @Test
    void anUnreachableGlobalTargetIsRefused() {
        Map<Integer, StunClustering> layers = new LinkedHashMap<>();
        layers.put(0, new StunClustering(random(8, 1, 0)));
        assertThrows(IllegalArgumentException.class, () -> StunCompressor.globalThreshold(layers, 1, 8 - 2, new LinkedHashMap<>()));
    }
}
