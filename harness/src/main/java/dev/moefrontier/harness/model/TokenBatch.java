package dev.moefrontier.harness.model;

import java.util.Arrays;
import java.util.List;

/**
 * Sequences run together, right-padded to the longest. Each sequence starts at position 0; causal attention means
 * padding never affects real positions. Tensors of the MoE observers hold only real tokens ("rows"), in order:
 * sequence 0's positions, then sequence 1's, ...
 */
public final class TokenBatch {
    private final int[][] sequences;
    private final int maxLen;
    private final int rows;
    private final int[] rowStart;

    public TokenBatch(List<int[]> sequences) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        this.sequences = sequences.toArray(new int[0][]);
        int max = 0;
        int n = 0;
        rowStart = new int[this.sequences.length + 1];
        for (int i = 0; i < this.sequences.length; i++) {
            int len = this.sequences[i].length;
            if (len == 0) {
                throw new IllegalArgumentException("sequence " + i + " is empty");
            }
            max = Math.max(max, len);
            rowStart[i] = n;
            n += len;
        }
        rowStart[this.sequences.length] = n;
        this.maxLen = max;
        this.rows = n;
    }

    /** {@code sequences} in order, packed into batches of at most {@code tokens} real tokens (a longer one alone). */
    public static List<TokenBatch> pack(List<int[]> sequences, int tokens) {
        List<TokenBatch> out = new java.util.ArrayList<>();
        List<int[]> cur = new java.util.ArrayList<>();
        int n = 0;
        for (int[] w : sequences) {
            if (!cur.isEmpty() && n + w.length > tokens) {
                out.add(new TokenBatch(cur));
                cur = new java.util.ArrayList<>();
                n = 0;
            }
            cur.add(w);
            n += w.length;
        }
        if (!cur.isEmpty()) {
            out.add(new TokenBatch(cur));
        }
        return out;
    }

    /** A batch of one sequence. */
    public static TokenBatch of(int... ids) {
        return new TokenBatch(List.of(ids));
    }

    /** Number of sequences B. */
    public int size() {
        return sequences.length;
    }

    /** Padded length T. */
    public int maxLength() {
        return maxLen;
    }

    /** Number of real tokens N. */
    public int rows() {
        return rows;
    }

    public int length(int seq) {
        return sequences[seq].length;
    }

    public int[] sequence(int seq) {
        return sequences[seq];
    }

    /** Whether any sequence is shorter than the longest. */
    public boolean padded() {
        return rows != sequences.length * maxLen;
    }

    /** Token ids as [B * T], padded with 0. */
    public long[] paddedIds() {
        long[] ids = new long[sequences.length * maxLen];
        for (int b = 0; b < sequences.length; b++) {
            for (int t = 0; t < sequences[b].length; t++) {
                ids[b * maxLen + t] = sequences[b][t];
            }
        }
        return ids;
    }

    /** For each real token, its index in the padded [B * T] layout. */
    public long[] realPositions() {
        long[] out = new long[rows];
        int r = 0;
        for (int b = 0; b < sequences.length; b++) {
            for (int t = 0; t < sequences[b].length; t++) {
                out[r++] = (long) b * maxLen + t;
            }
        }
        return out;
    }

    /** First row of sequence {@code seq}. */
    public int rowStart(int seq) {
        return rowStart[seq];
    }

    /** The sequence that row {@code r} belongs to. */
    public int sequenceOfRow(int r) {
        int i = Arrays.binarySearch(rowStart, r);
        if (i >= 0) {
            while (i + 1 < rowStart.length && rowStart[i + 1] == r) {
                i++;
            }
            return i;
        }
        return -i - 2;
    }

    /** Position of row {@code r} within its sequence. */
    public int positionOfRow(int r) {
        return r - rowStart[sequenceOfRow(r)];
    }
}
