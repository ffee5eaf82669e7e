package dev.moefrontier.compressors.hodge;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.util.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything §4.5–4.10 computes for one layer, in the layout of {@code fixtures/hodge/*.json}'s {@code expected}.
 *
 * @param filtration grid, β1 curve, τ*, K
 * @param faces K's faces as vertex triples (candidate order)
 * @param faceBarriers b_ijk of K's faces
 * @param decomposition grad, curl, harm per edge of K
 * @param selection critical sets, greedy order, redirect map
 * @param retained retained Hodge mass of the selected set
 * @param balance min / max of {@code retained}
 */
public record HodgeResult(Filtration.Result filtration, int[][] faces, double[] faceBarriers,
        HodgeDecomposition.Result decomposition, HodgeSelection.Result selection, Map<String, Double> retained, double balance) {

    /** Edges of K. */
    public int[][] edges() {
        return filtration.edges();
    }

    /** Kept experts as a mask over n. */
    public boolean[] keptMask(int n) {
        boolean[] k = new boolean[n];
        for (int s : selection.selected()) {
            k[s] = true;
        }
        return k;
    }

    /**
     * The result as {@code frontier hodge} writes it, in the layout of the golden fixtures' {@code expected} (bound by
     * {@link Json}; critical edges and triangles as vertex pairs and triples).
     */
    public record Document(double[] tauGrid, int[] betti1Curve, double tauStar, int betti1, int[][] edges, int[][] faces,
            double[] grad, double[] curl, double[] harm, double harmonicEnergyFraction, int[][] criticalEdges,
            int[][] criticalTriangles, int[] selected, Map<String, Integer> redirect, Map<String, Double> retainedMass,
            double balance) {}

    public Document document() {
        int[][] ce = new int[selection.criticalEdges().length][];
        for (int i = 0; i < ce.length; i++) {
            ce[i] = edges()[selection.criticalEdges()[i]];
        }
        int[][] ct = new int[selection.criticalFaces().length][];
        for (int i = 0; i < ct.length; i++) {
            ct[i] = faces[selection.criticalFaces()[i]];
        }
        Map<String, Integer> red = new LinkedHashMap<>();
        selection.redirect().forEach((k, v) -> red.put(Integer.toString(k), v));
        return new Document(filtration.grid(), filtration.betti(), filtration.tauStar(), filtration.betti1(), edges(), faces,
                decomposition.grad(), decomposition.curl(), decomposition.harm(), decomposition.harmonicEnergyFraction(), ce, ct,
                selection.selected(), red, new LinkedHashMap<>(retained), balance);
    }

    /** {@link #document()} as a JSON tree (to compare with a fixture's {@code expected}). */
    public JsonObject toJson() {
        return Json.tree(document()).getAsJsonObject();
    }
}
