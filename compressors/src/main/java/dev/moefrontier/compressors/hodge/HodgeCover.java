package dev.moefrontier.compressors.hodge;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * HodgeCover's selection on given barriers (methods.md §4.5–4.10): filtration and complex, Hodge decomposition,
 * critical sets, greedy cover and redirect map, and the Hodge-mass balance of the selected set.
 */
public final class HodgeCover {
    private HodgeCover() {}

    /**
     * The complex K and the decomposition of the barrier cochain on it (§4.5–4.6): independent of the kept set and of
     * the compressor, so diagnostics of any plan can use it.
     *
     * @param filtration grid, β1 curve, τ*, K's edges and face indices
     * @param faces K's faces as vertex triples
     * @param faceBarriers b_ijk of K's faces
     * @param decomposition grad, curl, harm on K's edges
     */
    public record Complex(Filtration.Result filtration, int[][] faces, double[] faceBarriers, HodgeDecomposition.Result decomposition) {

        /** Retained Hodge mass (§4.10) of a kept set. */
        public java.util.Map<String, Double> retained(boolean[] kept) {
            return HodgeBalance.retained(kept, filtration.edges(), faces, faceBarriers, decomposition);
        }
    }

    /** §4.5–4.6. */
    public static Complex complex(HodgeInput in, HodgeParams params) {
        Filtration.Result k = Filtration.compute(in, params.steps(), params.grid());
        if (params.complex() == HodgeParams.Complex.COMPLETE) {
            k = complete(in, k);
        }
        int[][] faces = new int[k.faces().length][];
        double[] faceB = new double[faces.length];
        for (int f = 0; f < faces.length; f++) {
            faces[f] = in.candidates()[k.faces()[f]];
            faceB[f] = in.tripletBarriers()[k.faces()[f]];
        }
        double[] b = new double[k.edges().length];
        for (int e = 0; e < b.length; e++) {
            b[e] = in.pairBarriers()[k.edges()[e][0]][k.edges()[e][1]];
        }
        return new Complex(k, faces, faceB, HodgeDecomposition.decompose(in.n(), k.edges(), faces, b));
    }

    /** {@code complex=complete}: all pairs as edges (lexicographic), the candidates with b_ijk ≤ τ* as faces (candidate order). */
    static Filtration.Result complete(HodgeInput in, Filtration.Result k) {
        int n = in.n();
        int[][] edges = new int[n * (n - 1) / 2][];
        int c = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                edges[c++] = new int[] {i, j};
            }
        }
        int[] faces = java.util.stream.IntStream.range(0, in.candidates().length)
                .filter(f -> in.tripletBarriers()[f] <= k.tauStar()).toArray();
        return new Filtration.Result(k.grid(), k.betti(), k.tauStar(), k.betti1(), edges, faces);
    }

    /** §4.5–4.10. */
    public static HodgeResult run(HodgeInput in, HodgeParams params) {
        Complex c = complex(in, params);
        HodgeSelection.Result s = HodgeSelection.select(in, params, c.filtration().edges(), c.faces(), c.faceBarriers(),
                c.decomposition().harm());
        boolean[] kept = new boolean[in.n()];
        for (int x : s.selected()) {
            kept[x] = true;
        }
        var retained = c.retained(kept);
        return new HodgeResult(c.filtration(), c.faces(), c.faceBarriers(), c.decomposition(), s, retained, HodgeBalance.balance(retained));
    }

    /** Reads the {@code input} object of a fixture case (layout of fixtures/hodge/*.json). */
    public static HodgeInput input(JsonObject in) {
        JsonArray pb = in.getAsJsonArray("pair_barriers");
        double[][] b = new double[pb.size()][];
        for (int i = 0; i < b.length; i++) {
            b[i] = doubles(pb.get(i).getAsJsonArray());
        }
        JsonArray ct = in.getAsJsonArray("candidate_triangles");
        int[][] cands = new int[ct.size()][];
        for (int i = 0; i < cands.length; i++) {
            JsonArray t = ct.get(i).getAsJsonArray();
            cands[i] = new int[] {t.get(0).getAsInt(), t.get(1).getAsInt(), t.get(2).getAsInt()};
        }
        return new HodgeInput(b, cands, doubles(in.getAsJsonArray("triplet_barriers")), doubles(in.getAsJsonArray("saliency")),
                in.get("keep").getAsInt());
    }

    /** Reads {@code params} (steps, p, q, lam_e, lam_t, alpha); missing keys take the defaults. */
    public static HodgeParams params(JsonObject p) {
        HodgeParams d = HodgeParams.defaults();
        if (p == null) {
            return d;
        }
        return new HodgeParams(p.has("steps") ? p.get("steps").getAsInt() : d.steps(), num(p, "p", d.p()), num(p, "q", d.q()),
                num(p, "lam_e", d.lambdaE()), num(p, "lam_t", d.lambdaT()), num(p, "alpha", d.alpha()),
                p.has("variant") ? HodgeParams.Variant.valueOf(p.get("variant").getAsString()) : d.variant());
    }

    /** The {@code input} object for given barriers (what {@code frontier barriers} writes). */
    public static JsonObject toJson(HodgeInput in, HodgeParams p) {
        JsonObject o = new JsonObject();
        JsonArray pb = new JsonArray();
        for (double[] row : in.pairBarriers()) {
            JsonArray r = new JsonArray();
            for (double v : row) {
                r.add(v);
            }
            pb.add(r);
        }
        o.add("pair_barriers", pb);
        JsonArray ct = new JsonArray();
        for (int[] t : in.candidates()) {
            JsonArray x = new JsonArray();
            for (int v : t) {
                x.add(v);
            }
            ct.add(x);
        }
        o.add("candidate_triangles", ct);
        JsonArray tb = new JsonArray();
        for (double v : in.tripletBarriers()) {
            tb.add(v);
        }
        o.add("triplet_barriers", tb);
        JsonArray sal = new JsonArray();
        for (double v : in.saliency()) {
            sal.add(v);
        }
        o.add("saliency", sal);
        o.addProperty("keep", in.keep());
        JsonObject params = new JsonObject();
        params.addProperty("steps", p.steps());
        params.addProperty("p", p.p());
        params.addProperty("q", p.q());
        params.addProperty("lam_e", p.lambdaE());
        params.addProperty("lam_t", p.lambdaT());
        params.addProperty("alpha", p.alpha());
        o.add("params", params);
        return o;
    }

    private static double num(JsonObject o, String k, double def) {
        return o.has(k) ? o.get(k).getAsDouble() : def;
    }

    private static double[] doubles(JsonArray a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsDouble();
        }
        return out;
    }
}
