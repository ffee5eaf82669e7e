package dev.moefrontier.compressors.hodge;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Incremental column reduction over GF(2^61 − 1) of sparse integer columns (boundary columns of triangles). A column is
 * independent of the previously added ones iff it does not reduce to zero; independence mod a prime implies
 * independence over the rationals, and for ±1 boundary matrices of this size the ranks agree (a prime this large
 * divides no relevant minor in practice), so this gives exact ranks of the boundary operator d2 as the complex grows.
 */
final class ModularColumns {
    private static final long P = (1L << 61) - 1;

    /** pivot row → reduced column (row → value), pivot = the column's largest row index. */
    private final Map<Integer, TreeMap<Integer, Long>> pivots = new HashMap<>();
    private int rank;

    int rank() {
        return rank;
    }

    /** Adds a column; returns whether it increased the rank. */
    boolean add(Map<Integer, Long> column) {
        TreeMap<Integer, Long> c = new TreeMap<>();
        column.forEach((r, v) -> {
            long m = mod(v);
            if (m != 0) {
                c.put(r, m);
            }
        });
        while (!c.isEmpty()) {
            int low = c.lastKey();
            TreeMap<Integer, Long> piv = pivots.get(low);
            if (piv == null) {
                pivots.put(low, c);
                rank++;
                return true;
            }
            long factor = mulmod(c.get(low), inverse(piv.get(low)));
            for (Map.Entry<Integer, Long> e : piv.entrySet()) {
                long v = mod(c.getOrDefault(e.getKey(), 0L) - mulmod(factor, e.getValue()));
                if (v == 0) {
                    c.remove(e.getKey());
                } else {
                    c.put(e.getKey(), v);
                }
            }
        }
        return false;
    }

    private static long mod(long v) {
        long m = v % P;
        return m < 0 ? m + P : m;
    }

    /** a·b mod P for 0 ≤ a, b &lt; P, with a 128-bit intermediate (P = 2^61 − 1 folds cheaply). */
    static long mulmod(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        // a·b = hi·2^64 + lo (unsigned lo) = hi·2^64 + lo_hi·2^61 + lo_low
        long loLow = lo & P;
        long loHigh = lo >>> 61;
        long r = (hi << 3) + loHigh + loLow; // 2^64 ≡ 2^3, 2^61 ≡ 1 (mod P)
        r = (r & P) + (r >>> 61);
        return r >= P ? r - P : r;
    }

    private static long inverse(long a) {
        long result = 1;
        long base = a;
        long e = P - 2;
        while (e > 0) {
            if ((e & 1) == 1) {
                result = mulmod(result, base);
            }
            base = mulmod(base, base);
            e >>= 1;
        }
        return result;
    }
}
