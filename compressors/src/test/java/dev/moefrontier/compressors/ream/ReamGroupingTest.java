package dev.moefrontier.compressors.ream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** REAM's grouping rules (methods.md §7.2–7.4) on hand-made statistics. */
class ReamGroupingTest {
    private static double[][] randomDistance(int e, long seed) {
        Random r = new Random(seed);
        double[][] d = new double[e][e];
        for (int i = 0; i < e; i++) {
            for (int j = i + 1; j < e; j++) {
                d[i][j] = d[j][i] = r.nextDouble();
            }
        }
        return d;
    }

    private static double[] randomSaliency(int e, long seed) {
        Random r = new Random(seed);
        double[] s = new double[e];
        for (int i = 0; i < e; i++) {
            s[i] = 0.1 + r.nextDouble();
        }
        return s;
    }

    private static List<Integer> sizes(int e, int keep, int c) {
        double[] s = randomSaliency(e, e + keep);
        int[] centroids = ReamGrouping.centroids(s, keep);
        return ReamGrouping.sizes(ReamGrouping.groups(randomDistance(e, keep), centroids, c));
    }

    private static List<Integer> expected(int singletons, Integer... groups) {
        List<Integer> out = new ArrayList<>(List.of(groups));
        out.addAll(Collections.nCopies(singletons, 1));
        return out;
    }

    @Test
    void groupSizesFollowTheReferenceFill() {
        assertEquals(expected(46, 16, 2), sizes(64, 48, 16), "E=64 keep 48: one group of 16, one of 2");
        assertEquals(expected(29, 16, 16, 3), sizes(64, 32, 16), "E=64 keep 32: 16, 16 and 3");
        assertEquals(expected(3, 5), sizes(8, 4, 16), "E=8 keep 4: one group of 5");
        assertEquals(expected(0, 4, 4, 4, 4), sizes(16, 4, 4), "every centroid filled to C");
    }

    @Test
    void groupsThatCannotCoverEveryExpertAreRefused() {
        double[] s = randomSaliency(64, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReamGrouping.groups(randomDistance(64, 1), ReamGrouping.centroids(s, 3), 16));
        assertTrue(e.getMessage().contains("cannot hold all 64"), e.getMessage());
    }

    @Test
    void centroidsAreTheMostSalientWithTiesToTheHigherIndex() {
        double[] s = {0.5, 0.9, 0.5, 0.9, 0.1, 0.5};
        assertArrayEquals(new int[] {3, 1, 5, 2}, ReamGrouping.centroids(s, 4));
        // below the §10 grid (1e-6 relative) two saliencies tie
        double[] near = {1.0, 1.0 + 1e-9, 0.2};
        assertArrayEquals(new int[] {1, 0}, ReamGrouping.centroids(near, 2));
    }

    @Test
    void centroidsAbsorbNearestFirstTiesToTheLowerIndexAndAreNeverAbsorbed() {
        int e = 6;
        double[][] d = new double[e][e];
        for (double[] row : d) {
            java.util.Arrays.fill(row, 0.5);
        }
        for (int i = 0; i < e; i++) {
            d[i][i] = 0;
        }
        d[4][5] = d[5][4] = 0.1; // 5 is nearest to centroid 4
        d[4][0] = d[0][4] = 0.05; // 0 is a centroid: nearer still, never absorbed
        int[] group = ReamGrouping.groups(d, new int[] {4, 0}, 3);
        // centroid 4 (most salient) takes 5 (nearest), then the lowest index among the tied rest: 1
        assertArrayEquals(new int[] {0, 4, 0, 0, 4, 4}, group);
    }

    @Test
    void zeroSaliencyIsReplacedAsTheReferenceDoes() {
        assertArrayEquals(new double[] {0.2, 0.2, 0.7}, ReamGrouping.saliency(new double[] {0.2, 0, 0.7}, 0), 0);
        assertArrayEquals(new double[] {0.5, 0.9, 0.5}, ReamGrouping.saliency(new double[] {0, 0.9, 0}, 0), 0);
        assertThrows(IllegalStateException.class, () -> ReamGrouping.saliency(new double[] {0, 0}, 3));
    }

    @Test
    void distanceCombinesOutputAndGateSimilarity() {
        double[][] sig = {{1, 0}, {0, 1}, {1, 1}};
        // router-logit columns z0 = (1,0), z1 = (1,0), z2 = (0,1): Gram of the columns
        double[][] gram = {{1, 1, 0}, {1, 1, 0}, {0, 0, 1}};
        double[][] d = ReamGrouping.distance(sig, gram, true);
        double sOut01 = 0.5; // cos = 0
        double sOut02 = (1 + Math.sqrt(0.5)) / 2;
        // delta: |z0-z1| = 0, |z0-z2| = sqrt 2 = max
        assertEquals(1 - (sOut01 + 1) / 2, d[0][1], 1e-12);
        assertEquals(1 - (sOut02 + 0) / 2, d[0][2], 1e-12);
        assertEquals(0, d[1][1], 1e-12);
        double[][] noGate = ReamGrouping.distance(sig, gram, false);
        assertEquals(1 - sOut02, noGate[0][2], 1e-12);
    }
}
