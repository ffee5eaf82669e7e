package dev.moefrontier.compressors.stun;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * STUN's greedy clustering of one layer (methods.md §8.2, {@code merge_weight.py}): V = d with V_ii = +inf and singleton
 * clusters; repeatedly the smallest entry (v1, v2) of V (row-major first on ties) is taken; the clusters merge when
 * V[c][v2] < τ for every member c of v1's cluster and V[c][v1] < τ for every member c of v2's cluster, and exactly those
 * entries become +inf; otherwise V[v1][v2] = V[v2][v1] = +inf. It stops when no entry is below τ or after
 * {@code maxMerges} merges. Entries only ever grow to +inf, so the successive minima are the entries in ascending order,
 * skipping those already set: one sort, one pass.
 */
public final class StunClustering {
    private final int e;
    private final double[][] d;
    private final long[] order; // entries i * E + j, ascending (value, i, j)
    private final long[] rank; // per entry i * E + j: its position in the order the threshold admits entries

    /** @param d the layer's distances, already on the decision grid (methods.md §10) */
    public StunClustering(double[][] d) {
        this.e = d.length;
        this.d = d;
        Long[] o = new Long[e * (e - 1)];
        int n = 0;
        for (int i = 0; i < e; i++) {
            for (int j = 0; j < e; j++) {
                if (i != j) {
                    o[n++] = (long) i * e + j;
                }
            }
        }
        Arrays.sort(o, (a, b) -> {
            int c = Double.compare(value(a), value(b));
            return c != 0 ? c : Long.compare(a, b);
        });
        order = new long[o.length];
        rank = new long[e * e];
        Arrays.fill(rank, Long.MAX_VALUE);
        for (int i = 0; i < o.length; i++) {
            order[i] = o[i];
            rank[(int) (long) o[i]] = i;
        }
    }

    /** The value of entry {@code i * E + j}. */
    public double value(long entry) {
        return d[(int) (entry / e)][(int) (entry % e)];
    }

    /** Off-diagonal entries ({@code i * E + j}), ascending (value, i, j). */
    public long[] entries() {
        return order.clone();
    }

    /**
     * Re-ranks the entries in a global admission order (a budget over several layers ranks every layer's entries together,
     * methods.md §8.3); {@code ranks[k]} is the rank of {@code entries()[k]} and must ascend.
     */
    public void rank(long[] ranks) {
        for (int k = 0; k < order.length; k++) {
            rank[(int) order[k]] = ranks[k];
        }
    }

    /** Per expert, the smallest member of its cluster, admitting every entry below {@code tau}, with the merge cap. */
    public int[] clusters(double tau, int maxMerges) {
        long cut = 0;
        for (long x : order) {
            if (value(x) < tau) {
                cut = rank[(int) x] + 1;
            }
        }
        return clustersBelowRank(cut, maxMerges);
    }

    /**
     * The clustering that admits exactly the entries of rank below {@code cut} ("V < τ" of the reference, with ties at
     * the threshold admitted in rank order so that a global budget can be met exactly).
     */
    public int[] clustersBelowRank(long cut, int maxMerges) {
        boolean[] inf = new boolean[e * e];
        for (int i = 0; i < e; i++) {
            inf[i * e + i] = true;
        }
        List<List<Integer>> members = new ArrayList<>();
        int[] cluster = new int[e];
        for (int i = 0; i < e; i++) {
            members.add(new ArrayList<>(List.of(i)));
            cluster[i] = i;
        }
        int merges = 0;
        for (long x : order) {
            if (merges >= maxMerges) {
                break;
            }
            int v1 = (int) (x / e);
            int v2 = (int) (x % e);
            if (inf[v1 * e + v2]) {
                continue;
            }
            if (rank[v1 * e + v2] >= cut) {
                break; // the smallest remaining entry is not below the threshold
            }
            List<Integer> c1 = members.get(cluster[v1]);
            List<Integer> c2 = members.get(cluster[v2]);
            boolean accept = true;
            for (int c : c1) {
                accept &= !inf[c * e + v2] && rank[c * e + v2] < cut;
            }
            for (int c : c2) {
                accept &= !inf[c * e + v1] && rank[c * e + v1] < cut;
            }
            if (accept) {
                for (int c : c1) {
                    inf[c * e + v2] = true;
                }
                for (int c : c2) {
                    inf[c * e + v1] = true;
                }
                int keep = cluster[v1];
                int gone = cluster[v2];
                List<Integer> union = members.get(keep);
                union.addAll(members.get(gone));
                members.get(gone).clear();
                for (int c : union) {
                    cluster[c] = keep;
                }
                merges++;
            } else {
                inf[v1 * e + v2] = true;
                inf[v2 * e + v1] = true;
            }
        }
        int[] out = new int[e];
        for (int i = 0; i < e; i++) {
            out[i] = members.get(cluster[i]).stream().mapToInt(Integer::intValue).min().orElseThrow();
        }
        return out;
    }

    /** Number of clusters of a labelling. */
    public static int count(int[] labels) {
        return (int) Arrays.stream(labels).distinct().count();
    }
}
