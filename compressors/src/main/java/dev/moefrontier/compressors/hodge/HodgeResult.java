package dev.moefrontier.compressors.hodge;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
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

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.add("tau_grid", doubles(filtration.grid()));
        JsonArray betti = new JsonArray();
        for (int x : filtration.betti()) {
            betti.add(x);
        }
        o.add("betti1_curve", betti);
        o.addProperty("tau_star", filtration.tauStar());
        o.addProperty("betti1", filtration.betti1());
        o.add("edges", pairs(edges()));
        o.add("faces", pairs(faces));
        o.add("grad", doubles(decomposition.grad()));
        o.add("curl", doubles(decomposition.curl()));
        o.add("harm", doubles(decomposition.harm()));
        o.addProperty("harmonic_energy_fraction", decomposition.harmonicEnergyFraction());
        int[][] ce = new int[selection.criticalEdges().length][];
        for (int i = 0; i < ce.length; i++) {
            ce[i] = edges()[selection.criticalEdges()[i]];
        }
        o.add("critical_edges", pairs(ce));
        int[][] ct = new int[selection.criticalFaces().length][];
        for (int i = 0; i < ct.length; i++) {
            ct[i] = faces[selection.criticalFaces()[i]];
        }
        o.add("critical_triangles", pairs(ct));
        JsonArray sel = new JsonArray();
        for (int s : selection.selected()) {
            sel.add(s);
        }
        o.add("selected", sel);
        JsonObject red = new JsonObject();
        selection.redirect().forEach((k, v) -> red.addProperty(Integer.toString(k), v));
        o.add("redirect", red);
        JsonObject ret = new JsonObject();
        retained.forEach((k, v) -> ret.addProperty(k, v));
        o.add("retained_mass", ret);
        o.addProperty("balance", balance);
        return o;
    }

    private static JsonArray doubles(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            a.add(x);
        }
        return a;
    }

    private static JsonArray pairs(int[][] v) {
        JsonArray a = new JsonArray();
        for (int[] p : v) {
            JsonArray x = new JsonArray();
            for (int i : p) {
                x.add(i);
            }
            a.add(x);
        }
        return a;
    }
}
