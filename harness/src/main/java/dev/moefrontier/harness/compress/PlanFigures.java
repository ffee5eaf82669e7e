package dev.moefrontier.harness.compress;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Figures a compressor reports with its plan, typed: named numbers (e.g. a hybrid's stage ratios) and named per-layer
 * numbers (e.g. HodgeCover's τ* and β1 per MoE layer). They describe a plan and do not change what it does (not part
 * of its fingerprint). Immutable. Stored as {@code {"numbers": {name: v}, "per_layer": {name: {layer: v}}}} (bound by
 * {@link dev.moefrontier.harness.util.Json}; a missing map reads as empty).
 *
 * @param numbers name → value
 * @param perLayer name → MoE layer → value
 */
public record PlanFigures(Map<String, Double> numbers, Map<String, Map<Integer, Double>> perLayer) {
    /** The stage-1 (expert-level) ratio of a hybrid, a {@code frontier.csv} column. */
    public static final String EXPERT_STAGE_RATIO = "r1";
    /** The stage-2 (weight-level) sparsity of a hybrid, a {@code frontier.csv} column. */
    public static final String WEIGHT_STAGE_RATIO = "r2";

    public static final PlanFigures NONE = new PlanFigures(Map.of(), Map.of());

    public PlanFigures {
        numbers = Collections.unmodifiableMap(numbers == null ? Map.of() : new LinkedHashMap<>(numbers));
        Map<String, Map<Integer, Double>> pl = new LinkedHashMap<>();
        (perLayer == null ? Map.<String, Map<Integer, Double>>of() : perLayer).forEach((k, v) -> pl.put(k, Collections.unmodifiableMap(new TreeMap<>(v))));
        perLayer = Collections.unmodifiableMap(pl);
    }

    /** The number called {@code name}, if reported. */
    public OptionalDouble number(String name) {
        Double v = numbers.get(name);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    /** These figures with {@code more}'s added (theirs win on a name clash). */
    public PlanFigures plus(PlanFigures more) {
        Map<String, Double> n = new LinkedHashMap<>(numbers);
        n.putAll(more.numbers);
        Map<String, Map<Integer, Double>> l = new LinkedHashMap<>(perLayer);
        l.putAll(more.perLayer);
        return new PlanFigures(n, l);
    }

    /** A builder of figures. */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects figures in the order they are added. */
    public static final class Builder {
        private final Map<String, Double> numbers = new LinkedHashMap<>();
        private final Map<String, Map<Integer, Double>> perLayer = new LinkedHashMap<>();

        private Builder() {}

        public Builder number(String name, double value) {
            numbers.put(name, value);
            return this;
        }

        public Builder layer(String name, int layer, double value) {
            perLayer.computeIfAbsent(name, k -> new TreeMap<>()).put(layer, value);
            return this;
        }

        public PlanFigures build() {
            return new PlanFigures(numbers, perLayer);
        }
    }
}
