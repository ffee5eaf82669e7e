package dev.moefrontier.compressors.hodge;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.compress.Decisions;

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

    JsonObject toJson() {
        JsonObject o = HodgeCover.toJson(new HodgeInput(pairs, candidates, triplets, new double[pairs.length], 1), HodgeParams.defaults());
        o.remove("saliency");
        o.remove("keep");
        o.remove("params");
        o.addProperty("layer", layer);
        return o;
    }

    static LayerBarriers fromJson(JsonObject o) {
        JsonArray pb = o.getAsJsonArray("pair_barriers");
        double[][] b = new double[pb.size()][];
        for (int i = 0; i < b.length; i++) {
            JsonArray r = pb.get(i).getAsJsonArray();
            b[i] = new double[r.size()];
            for (int j = 0; j < r.size(); j++) {
                b[i][j] = r.get(j).getAsDouble();
            }
        }
        JsonArray ct = o.getAsJsonArray("candidate_triangles");
        int[][] c = new int[ct.size()][3];
        for (int i = 0; i < c.length; i++) {
            for (int k = 0; k < 3; k++) {
                c[i][k] = ct.get(i).getAsJsonArray().get(k).getAsInt();
            }
        }
        JsonArray tb = o.getAsJsonArray("triplet_barriers");
        double[] t = new double[tb.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = tb.get(i).getAsDouble();
        }
        return new LayerBarriers(o.get("layer").getAsInt(), b, c, t);
    }
}
