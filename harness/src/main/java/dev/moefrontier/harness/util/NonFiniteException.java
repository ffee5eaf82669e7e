package dev.moefrontier.harness.util;

/**
 * A NaN or ±Inf met where a result is computed (logits, statistics, scores, barriers): the run stops with the
 * location rather than ranking, caching or writing a silently wrong value.
 */
public final class NonFiniteException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NonFiniteException(String message) {
        super(message);
    }

    /** Throws when some element of {@code values} is not finite: "{@code what}: NaN at index i (n non-finite of m)". */
    public static void check(double[] values, String what) {
        if (values != null) {
            check(values.length, i -> values[i], what);
        }
    }

    /** As {@link #check(double[], String)} for floats. */
    public static void check(float[] values, String what) {
        if (values != null) {
            check(values.length, i -> values[i], what);
        }
    }

    private static void check(int length, java.util.function.IntToDoubleFunction value, String what) {
        int first = -1;
        int count = 0;
        for (int i = 0; i < length; i++) {
            if (!Double.isFinite(value.applyAsDouble(i))) {
                count++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (first >= 0) {
            throw new NonFiniteException(what + ": " + describe(value.applyAsDouble(first)) + " at index " + first + " (" + count
                    + " non-finite of " + length + ")");
        }
    }

    /** "NaN", "+Inf" or "-Inf". */
    public static String describe(double v) {
        return Double.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
    }
}
