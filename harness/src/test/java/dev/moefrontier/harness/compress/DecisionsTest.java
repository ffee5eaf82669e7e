package dev.moefrontier.harness.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The §10 decision grid: units, ties to the lower index, noise below the grid absorbed, margins. */
class DecisionsTest {

    @Test
    void theUnitIsThePowerOfTwoBelowTheRelativeGrid() {
        assertEquals(Math.scalb(1.0, -20), Decisions.unit(1e-6, 1.0)); // 2^-20 = 9.5e-7 <= 1e-6
        assertEquals(0, Decisions.unit(1e-6, 0));
        // The unit does not move when the maximum moves by a few ulps.
        assertEquals(Decisions.unit(1e-6, 3.0), Decisions.unit(1e-6, Math.nextUp(Math.nextUp(3.0))));
    }

    @Test
    void valuesWithinTheGridAreTiedAndTheLowerIndexComesFirst() {
        double[] v = {1.0, 0.5, 0.5 + 1e-9, 0.25, 0.5 - 1e-9};
        assertArrayEquals(new int[] {3, 1, 2, 4, 0}, Decisions.ascending(v, 1e-6));
        assertArrayEquals(new int[] {0, 1, 2, 4, 3}, Decisions.descending(v, 1e-6));
        assertEquals(1, Decisions.argmin(new double[] {2, 1 + 1e-9, 1, 3}, 1e-6));
        assertEquals(0, Decisions.argmax(new double[] {3, 3 - 1e-9, 1}, 1e-6));
        // Exact comparison would order 4 < 1 < 2; the grid makes them one value.
        assertArrayEquals(new int[] {3, 4, 1, 2, 0}, Decisions.ascending(v, 0)); // rel 0 is exact
    }

    @Test
    void perturbationsBelowTheGridDoNotChangeTheDecisionAwayFromBoundaries() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        double[] v = new double[64];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.round(r.nextDouble() * 1000) / 1000.0 + 0.0001; // well inside grid cells
        }
        double[] noisy = v.clone();
        for (int i = 0; i < v.length; i++) {
            noisy[i] *= 1 + (r.nextDouble() - 0.5) * 2e-8;
        }
        assertArrayEquals(Decisions.ascending(v, 1e-6), Decisions.ascending(noisy, 1e-6));
        assertArrayEquals(Decisions.snap(v, 1e-6), Decisions.snap(noisy, 1e-6));
    }

    @Test
    void theSplitMarginIsTheGapAtTheCutAsAFractionOfTheMaximum() {
        double[] v = {0.1, 0.4, 0.2, 1.0};
        int[] order = Decisions.ascending(v, 1e-6);
        assertEquals(0.2, Decisions.splitMargin(v, order, 2, 1e-6), 1e-6); // 0.4 - 0.2
        assertEquals(0, Decisions.splitMargin(new double[] {1, 1, 2}, new int[] {0, 1, 2}, 1, 1e-6));
        assertTrue(Double.isNaN(Decisions.splitMargin(v, order, 0, 1e-6)));
    }

    @Test
    void nonFiniteValuesAreRefusedWithTheirIndex() {
        dev.moefrontier.harness.util.NonFiniteException e = assertThrows(dev.moefrontier.harness.util.NonFiniteException.class,
                () -> Decisions.ascending(new double[] {1, Double.NaN}, 1e-6));
        assertTrue(e.getMessage().contains("index 1"), e.getMessage());
    }

    @Test
    void snappedMatricesShareOneUnit() {
        double[][] m = {{0, 1e-7, 0.3}, {1e-7, 0, 2.0}};
        double[][] s = Decisions.snap(m, 1e-5);
        double u = Decisions.unit(1e-5, 2.0);
        for (double[] row : s) {
            for (double x : row) {
                assertEquals(0, Math.IEEEremainder(x, u), 0);
            }
        }
        assertEquals(0, s[0][1]); // below half a unit: zero
    }
}
