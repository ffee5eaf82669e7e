package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.compress.Decisions;
import java.util.Map;

/**
 * The barriers of one MoE layer: all pairs, the candidate triangles (methods.md §4.3) and their triplet barriers.
 *
 * @param layer decoder layer
 * @param pairs E×E pair barriers
 * @param candidates candidate triangles
 * @param triplets one barrier per candidate
 */
public record LayerBarriers(int layer, double[][] pairs, int[][] candidates, double[] triplets) {

    /**
     * The {@code frontier hodge} input for these barriers, with every model-computed value rounded to its decision grid
     * (methods.md §10: pair barriers on {@link Decisions#BARRIERS}, triplets on {@link Decisions#TRIPLETS}, saliency on
     * {@link Decisions#MODEL_VALUES}); the selection then runs in deterministic Java arithmetic on these values.
     */
    public HodgeInput input(double[] saliency, int keep) {
        return new HodgeInput(snappedPairs(), candidates, Decisions.snap(triplets, Decisions.TRIPLETS),
                Decisions.snap(saliency, Decisions.MODEL_VALUES), keep);
    }

    /** The pair barriers on their decision grid (candidate triangles are chosen on these). */
    public double[][] snappedPairs() {
        return Decisions.snap(pairs, Decisions.BARRIERS);
    }

    /** The layout cached by {@link BarrierStatistic}: {@code pairs} [E * E], {@code candidates} [T * 3], {@code triplets} [T]. */
    Map<String, double[]> toValues() {
        int e = pairs.length;
        double[] p = new double[e * e];
        for (int i = 0; i < e; i++) {
            System.arraycopy(pairs[i], 0, p, i * e, e);
        }
        double[] c = new double[candidates.length * 3];
        for (int t = 0; t < candidates.length; t++) {
            for (int k = 0; k < 3; k++) {
                c[t * 3 + k] = candidates[t][k];
            }
        }
        return Map.of("pairs", p, "candidates", c, "triplets", triplets.clone());
    }

    static LayerBarriers fromValues(int layer, Map<String, double[]> v) {
        double[] p = v.get("pairs");
        int e = (int) Math.round(Math.sqrt(p.length));
        double[][] b = new double[e][e];
        for (int i = 0; i < e; i++) {
            System.arraycopy(p, i * e, b[i], 0, e);
        }
        double[] c = v.get("candidates");
        int[][] cands = new int[c.length / 3][3];
        for (int t = 0; t < cands.length; t++) {
            for (int k = 0; k < 3; k++) {
                cands[t][k] = (int) c[t * 3 + k];
            }
        }
        return new LayerBarriers(layer, b, cands, v.get("triplets").clone());
    }
}
