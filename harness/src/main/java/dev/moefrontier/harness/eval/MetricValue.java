package dev.moefrontier.harness.eval;

/**
 * A metric, its standard error (NaN when undefined, e.g. a single sample) and its direction, declared by the task
 * that computed it (lm-eval's {@code higher_is_better}).
 *
 * @param value the metric
 * @param stderr standard error
 * @param higherIsBetter whether larger values mean a better model (accuracy) or worse (perplexity)
 */
public record MetricValue(double value, double stderr, boolean higherIsBetter) {

    /** Mean and standard error of the mean (sample standard deviation / sqrt(n)), as lm-eval's mean_stderr. */
    public static MetricValue mean(double[] xs, boolean higherIsBetter) {
        int n = xs.length;
        if (n == 0) {
            return new MetricValue(Double.NaN, Double.NaN, higherIsBetter);
        }
        double mu = 0;
        for (double x : xs) {
            mu += x;
        }
        mu /= n;
        if (n < 2) {
            return new MetricValue(mu, Double.NaN, higherIsBetter);
        }
        double ss = 0;
        for (double x : xs) {
            ss += (x - mu) * (x - mu);
        }
        return new MetricValue(mu, Math.sqrt(ss / (n - 1)) / Math.sqrt(n), higherIsBetter);
    }

    /**
     * A group's metric from its parts' (lm-eval's weight_by_size aggregation): the size-weighted mean, and the pooled
     * sample standard error sqrt(Σ (n_i - 1) n_i se_i² / (Σ n_i - k) / Σ n_i); NaN when a part has none.
     */
    public static MetricValue pooled(java.util.List<MetricValue> parts, int[] sizes) {
        if (parts.size() != sizes.length || parts.isEmpty()) {
            throw new IllegalArgumentException("one size per part, at least one part");
        }
        double sum = 0;
        double n = 0;
        double var = 0;
        boolean defined = true;
        for (int i = 0; i < sizes.length; i++) {
            MetricValue p = parts.get(i);
            sum += p.value() * sizes[i];
            n += sizes[i];
            defined &= !Double.isNaN(p.stderr());
            var += (sizes[i] - 1.0) * p.stderr() * p.stderr() * sizes[i];
        }
        double se = defined && n > sizes.length ? Math.sqrt(var / (n - sizes.length) / n) : Double.NaN;
        boolean higher = parts.get(0).higherIsBetter();
        if (parts.stream().anyMatch(p -> p.higherIsBetter() != higher)) {
            throw new IllegalArgumentException("pooled parts disagree on the metric's direction");
        }
        return new MetricValue(sum / n, se, higher);
    }
}
