package dev.moefrontier.harness.runtime;

/** The requested numerics mode cannot be put in force (a CPU without AVX2, an engine started unpinned, ...). */
public final class NumericsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NumericsException(String message) {
        super(message);
    }
}
