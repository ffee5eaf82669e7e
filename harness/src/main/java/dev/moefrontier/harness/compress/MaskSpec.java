package dev.moefrontier.harness.compress;

/**
 * Weight sparsity of a plan (methods.md §5): the {@link dev.moefrontier.harness.spi.WeightMaskRule} {@code method}
 * (e.g. {@code wanda}) at {@code sparsity}, unstructured or N:M.
 *
 * @param method the registered weight-mask rule that decides the masks
 * @param sparsity fraction of each row zeroed (unstructured), or N/M
 * @param n N of an N:M pattern, 0 for unstructured
 * @param m M of an N:M pattern, 0 for unstructured
 * @param sequential whether calibration inputs were recomputed after each layer was pruned
 * @param empty what happened to experts without calibration tokens: "magnitude" (pruned by |W|) or "skip" (dense)
 */
public record MaskSpec(String method, double sparsity, int n, int m, boolean sequential, String empty) {

    /** "unstructured" or "N:M". */
    public String pattern() {
        return m == 0 ? "unstructured" : n + ":" + m;
    }

    /** Parses "unstructured" or "N:M" with the given sparsity for unstructured. */
    public static MaskSpec of(String method, String pattern, double sparsity, boolean sequential, String empty) {
        if (pattern.equals("unstructured")) {
            return new MaskSpec(method, sparsity, 0, 0, sequential, empty);
        }
        String[] p = pattern.split(":");
        if (p.length == 2) {
            try {
                int n = Integer.parseInt(p[0].trim());
                int m = Integer.parseInt(p[1].trim());
                if (n > 0 && m > n) {
                    return new MaskSpec(method, (double) n / m, n, m, sequential, empty);
                }
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("mask pattern must be 'unstructured' or N:M with 0 < N < M, got '" + pattern + "'");
    }

    /** Weights zeroed in one row of {@code in} inputs. */
    public int prunedPerRow(int in) {
        return m == 0 ? (int) (in * sparsity) : (in / m) * n; // a trailing partial N:M block stays dense
    }
}
