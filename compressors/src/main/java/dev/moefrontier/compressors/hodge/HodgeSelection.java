package dev.moefrontier.compressors.hodge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Critical sets, greedy cover and redirect map (methods.md §4.7–4.8), and the ablations of §4.9.
 */
public final class HodgeSelection {

    /**
     * @param criticalEdges E*, as indices into K's edges, in rank order
     * @param criticalFaces T*, as indices into K's faces, in rank order
     * @param selected kept experts in the order the greedy chose them
     * @param redirect pruned expert → survivor
     * @param margin the narrowest greedy decision: min over steps of (best − runner-up) / max(|best|, |runner-up|);
     *     0 when a step was decided by the index rule, NaN when no step had a runner-up
     */
    public record Result(int[] criticalEdges, int[] criticalFaces, int[] selected, Map<Integer, Integer> redirect, double margin) {}

    private HodgeSelection() {}

    /**
     * @param edges K's edges
     * @param faces K's faces (vertex triples)
     * @param faceBarriers b_ijk of K's faces
     * @param harm harmonic part per edge of K
     */
    public static Result select(HodgeInput in, HodgeParams params, int[][] edges, int[][] faces, double[] faceBarriers, double[] harm) {
        int n = in.n();
        double[] sal = in.scaledSaliency(params.saliencyScale());
        double[][] b = in.pairBarriers();
        double normB = 0;
        double[] edgeB = new double[edges.length];
        for (int e = 0; e < edges.length; e++) {
            edgeB[e] = b[edges[e][0]][edges[e][1]];
            normB += edgeB[e] * edgeB[e];
        }
        normB = Math.sqrt(normB);
        double[] edgeKey = new double[edges.length];
        for (int e = 0; e < edges.length; e++) {
            edgeKey[e] = params.variant() == HodgeParams.Variant.TRIPLET_PENALTY ? edgeB[e] : Math.abs(harm[e]);
        }
        int[] critE = Ranking.topDescending(edgeKey, (int) Math.ceil(params.p() * edges.length));
        int[] critT = Ranking.topDescending(faceBarriers, (int) Math.ceil(params.q() * faces.length));

        if (params.variant() == HodgeParams.Variant.GREEDY_BARRIER) {
            return greedyBarrier(in, sal, critE, critT);
        }
        double lambdaT = params.variant() == HodgeParams.Variant.NO_TRIANGLE ? 0 : params.lambdaT();
        boolean[] inS = new boolean[n];
        boolean[] edgeHit = new boolean[critE.length];
        boolean[] faceHit = new boolean[critT.length];
        int[] selected = new int[in.keep()];
        double margin = Double.NaN;
        for (int s = 0; s < in.keep(); s++) {
            boolean[] allowed = new boolean[n];
            boolean anyAllowed = false;
            for (int i = 0; i < n; i++) {
                allowed[i] = !inS[i] && !(params.variant() == HodgeParams.Variant.TRIPLET_HYPERGRAPH && completesFace(i, inS, faces, critT));
                anyAllowed |= allowed[i];
            }
            int best = -1;
            double bestGain = 0;
            double runnerUp = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (inS[i] || (anyAllowed && !allowed[i])) {
                    continue; // the veto yields only when no other candidate is left
                }
                boolean all = params.cover() == HodgeParams.Cover.ALL; // covered = every vertex kept, not one
                int newE = 0;
                for (int c = 0; c < critE.length; c++) {
                    int[] e = edges[critE[c]];
                    if (!edgeHit[c] && (e[0] == i || e[1] == i) && (!all || inS[e[0] == i ? e[1] : e[0]])) {
                        newE++;
                    }
                }
                int newT = 0;
                for (int c = 0; c < critT.length; c++) {
                    int[] f = faces[critT[c]];
                    if (!faceHit[c] && (f[0] == i || f[1] == i || f[2] == i) && (!all || others(f, i, inS))) {
                        newT++;
                    }
                }
                double gain = sal[i] + (critE.length == 0 ? 0 : params.lambdaE() * newE / critE.length)
                        + (critT.length == 0 ? 0 : lambdaT * newT / critT.length);
                if (best < 0 || gain > bestGain + 1e-12) {
                    if (best >= 0) {
                        runnerUp = bestGain;
                    }
                    best = i;
                    bestGain = gain;
                } else {
                    runnerUp = Math.max(runnerUp, gain);
                }
            }
            margin = narrower(margin, bestGain, runnerUp);
            inS[best] = true;
            selected[s] = best;
            boolean all = params.cover() == HodgeParams.Cover.ALL;
            for (int c = 0; c < critE.length; c++) {
                int[] e = edges[critE[c]];
                edgeHit[c] |= all ? inS[e[0]] && inS[e[1]] : e[0] == best || e[1] == best;
            }
            for (int c = 0; c < critT.length; c++) {
                int[] f = faces[critT[c]];
                faceHit[c] |= all ? inS[f[0]] && inS[f[1]] && inS[f[2]] : f[0] == best || f[1] == best || f[2] == best;
            }
        }
        return new Result(critE, critT, selected, redirect(in, params, edges, harm, normB, inS), margin);
    }

    /** The smaller of {@code margin} and the relative gap between a winner and its runner-up (none: unchanged). */
    static double narrower(double margin, double best, double runnerUp) {
        if (runnerUp == Double.NEGATIVE_INFINITY) {
            return margin;
        }
        double scale = Math.max(Math.abs(best), Math.abs(runnerUp));
        double m = scale == 0 ? 0 : Math.abs(best - runnerUp) / scale;
        return Double.isNaN(margin) ? m : Math.min(margin, m);
    }

    /** Whether the vertices of face f other than i are all in S. */
    private static boolean others(int[] f, int i, boolean[] inS) {
        for (int v : f) {
            if (v != i && !inS[v]) {
                return false;
            }
        }
        return true;
    }

    /** Whether adding i would put all three vertices of some T* face in S. */
    private static boolean completesFace(int i, boolean[] inS, int[][] faces, int[] critT) {
        for (int c : critT) {
            int[] f = faces[c];
            int in = (inS[f[0]] ? 1 : 0) + (inS[f[1]] ? 1 : 0) + (inS[f[2]] ? 1 : 0);
            if (in == 2 && (f[0] == i || f[1] == i || f[2] == i) && !inS[i]) {
                return true;
            }
        }
        return false;
    }

    /** π(i) = argmin_{j in S} b_ij (1 + α |harm_ij| / ||b||), harm_ij = 0 outside K; ties to the lower index. */
    private static Map<Integer, Integer> redirect(HodgeInput in, HodgeParams params, int[][] edges, double[] harm, double normB,
            boolean[] inS) {
        int n = in.n();
        double[][] harmOf = new double[n][n];
        for (int e = 0; e < edges.length; e++) {
            harmOf[edges[e][0]][edges[e][1]] = harm[e];
            harmOf[edges[e][1]][edges[e][0]] = harm[e];
        }
        int[] survivors = java.util.stream.IntStream.range(0, n).filter(i -> inS[i]).toArray();
        Map<Integer, Integer> red = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            if (inS[i]) {
                continue;
            }
            double[] cost = new double[survivors.length];
            for (int s = 0; s < survivors.length; s++) {
                int j = survivors[s];
                double bij = in.pairBarriers()[i][j];
                cost[s] = bij * (1 + (normB == 0 ? 0 : params.alpha() * Math.abs(harmOf[i][j]) / normB));
            }
            red.put(i, survivors[Ranking.argmin(cost)]);
        }
        return red;
    }

    /**
     * §4.9 greedy-barrier: from all experts, repeatedly prune the survivor i with the smallest min_{j in S, j ≠ i} b_ij
     * (ties: lower saliency, then lower index), redirecting i to that j; chains resolve to final survivors.
     */
    private static Result greedyBarrier(HodgeInput in, double[] sal, int[] critE, int[] critT) {
        int n = in.n();
        double[][] b = in.pairBarriers();
        boolean[] inS = new boolean[n];
        Arrays.fill(inS, true);
        int[] target = new int[n];
        for (int i = 0; i < n; i++) {
            target[i] = i;
        }
        int alive = n;
        double margin = Double.NaN;
        while (alive > in.keep()) {
            int[] survivors = java.util.stream.IntStream.range(0, n).filter(i -> inS[i]).toArray();
            double[] nearest = new double[survivors.length];
            int[] partner = new int[survivors.length];
            for (int s = 0; s < survivors.length; s++) {
                int i = survivors[s];
                List<Integer> others = new ArrayList<>();
                for (int j : survivors) {
                    if (j != i) {
                        others.add(j);
                    }
                }
                double[] v = new double[others.size()];
                for (int x = 0; x < v.length; x++) {
                    v[x] = b[i][others.get(x)];
                }
                int a = Ranking.argmin(v);
                nearest[s] = v[a];
                partner[s] = others.get(a);
            }
            long[] q = Ranking.quantize(nearest);
            int pick = 0;
            for (int s = 1; s < survivors.length; s++) {
                int i = survivors[s];
                int p = survivors[pick];
                if (q[s] < q[pick] || (q[s] == q[pick] && sal[i] < sal[p])) {
                    pick = s; // equal saliency keeps the lower index (already first)
                }
            }
            double runnerUp = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < survivors.length; s++) {
                if (s != pick) {
                    runnerUp = Math.max(runnerUp, -nearest[s]); // gains are negated nearest barriers
                }
            }
            margin = narrower(margin, -nearest[pick], runnerUp);
            int i = survivors[pick];
            inS[i] = false;
            target[i] = partner[pick];
            alive--;
        }
        Map<Integer, Integer> red = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            if (!inS[i]) {
                int t = target[i];
                while (!inS[t]) {
                    t = target[t];
                }
                red.put(i, t);
            }
        }
        int[] selected = java.util.stream.IntStream.range(0, n).filter(i -> inS[i]).toArray();
        return new Result(critE, critT, selected, red, margin);
    }
}
