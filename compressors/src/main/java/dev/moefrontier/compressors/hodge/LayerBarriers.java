package dev.moefrontier.compressors.hodge;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * The barriers of one MoE layer: all pairs, the candidate triangles (methods.md §4.3) and their triplet barriers.
 *
 * @param layer decoder layer
 * @param pairs E×E pair barriers
 * @param candidates candidate triangles
 * @param triplets one barrier per candidate
 */
public record LayerBarriers(int layer, double[][] pairs, int[][] candidates, double[] triplets) {

    /** The {@code frontier hodge} input for these barriers. */
    public HodgeInput input(double[] saliency, int keep) {
        return new HodgeInput(pairs, candidates, triplets, saliency, keep);
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
