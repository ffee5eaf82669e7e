package dev.moefrontier.harness.eval;

import com.google.gson.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The immutable result of one task on one model: metric → value ± standard error, the number of samples, and
 * provenance (task version, dataset checksum, seqlen, limit, batch size, ...). Rendering is separate ({@link
 * #lmEvalResults}).
 */
public final class Evaluation {
    private final String task;
    private final String version;
    private final Map<String, MetricValue> metrics;
    private final String headline;
    private final int samples;
    private final int originalSamples;
    private final Map<String, String> provenance;
    private final Map<String, Evaluation> subtasks;

    public Evaluation(String task, String version, Map<String, MetricValue> metrics, String headline, int samples,
            int originalSamples, Map<String, String> provenance, Map<String, Evaluation> subtasks) {
        this.task = task;
        this.version = version;
        this.metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        this.headline = headline;
        this.samples = samples;
        this.originalSamples = originalSamples;
        this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
        this.subtasks = Collections.unmodifiableMap(new LinkedHashMap<>(subtasks));
    }

    public String task() {
        return task;
    }

    public String version() {
        return version;
    }

    public Map<String, MetricValue> metrics() {
        return metrics;
    }

    /** The metric that stands for the task in suite averages (methods.md §6). */
    public String headline() {
        return headline;
    }

    public MetricValue headlineValue() {
        return metrics.get(headline);
    }

    /** Samples evaluated (after --limit). */
    public int samples() {
        return samples;
    }

    /** Samples in the dataset. */
    public int originalSamples() {
        return originalSamples;
    }

    public Map<String, String> provenance() {
        return provenance;
    }

    /** Per-subtask evaluations (e.g. MMLU subjects). */
    public Map<String, Evaluation> subtasks() {
        return subtasks;
    }

    /** lm-eval's per-task results object: {"metric,none": v, "metric_stderr,none": se, "alias": task}. */
    public JsonObject lmEvalResults() {
        JsonObject o = new JsonObject();
        o.addProperty("alias", task);
        metrics.forEach((k, v) -> {
            o.addProperty(k + ",none", v.value());
            if (Double.isNaN(v.stderr())) {
                o.addProperty(k + "_stderr,none", "N/A");
            } else {
                o.addProperty(k + "_stderr,none", v.stderr());
            }
        });
        return o;
    }
}
