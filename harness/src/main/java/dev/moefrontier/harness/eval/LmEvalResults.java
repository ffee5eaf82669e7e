package dev.moefrontier.harness.eval;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Renders evaluations in lm-evaluation-harness's results layout, so that tools reading its output read ours:
 * {@code results.{task}.{"metric,none", "metric_stderr,none"}}, {@code groups} and {@code group_subtasks} for grouped
 * tasks (MMLU), {@code configs}, {@code versions}, {@code n-shot}, {@code higher_is_better}, {@code n-samples},
 * {@code config}, {@code git_hash}, {@code date}; our additions (provenance, DS-Avg) go under {@code frontier}.
 */
public final class LmEvalResults {
    private LmEvalResults() {}

    /**
     * @param config lm-eval's {@code config} object (model, model_args, limit, ...)
     * @param provenance versions, git commit, seeds: written under {@code frontier}
     */
    public static JsonObject render(List<Evaluation> results, JsonObject config, Map<String, String> provenance) {
        JsonObject root = new JsonObject();
        JsonObject res = new JsonObject();
        JsonObject versions = new JsonObject();
        JsonObject nSamples = new JsonObject();
        JsonObject nShot = new JsonObject();
        JsonObject higher = new JsonObject();
        JsonObject configs = new JsonObject();
        JsonObject groups = new JsonObject();
        JsonObject groupSubtasks = new JsonObject();
        for (Evaluation e : results) {
            res.add(e.task(), e.lmEvalResults());
            versions.addProperty(e.task(), e.version());
            nSamples.add(e.task(), samples(e));
            nShot.addProperty(e.task(), 0);
            JsonObject hb = new JsonObject();
            e.metrics().forEach((k, v) -> hb.addProperty(k, v.higherIsBetter()));
            higher.add(e.task(), hb);
            JsonObject cfg = new JsonObject();
            cfg.addProperty("task", e.task());
            e.provenance().forEach(cfg::addProperty);
            configs.add(e.task(), cfg);
            addGroups(e, res, versions, nSamples, groups, groupSubtasks);
        }
        root.add("results", res);
        if (groups.size() > 0) {
            root.add("groups", groups);
            root.add("group_subtasks", groupSubtasks);
        }
        root.add("configs", configs);
        root.add("versions", versions);
        root.add("n-shot", nShot);
        root.add("higher_is_better", higher);
        root.add("n-samples", nSamples);
        root.add("config", config);
        root.addProperty("git_hash", provenance.get("git_commit"));
        root.addProperty("date", Instant.now().getEpochSecond());
        JsonObject frontier = new JsonObject();
        provenance.forEach(frontier::addProperty);
        double ds = Suite.dsAvg(results);
        if (!Double.isNaN(ds)) {
            frontier.addProperty("ds_avg", ds);
            JsonArray dsTasks = new JsonArray();
            results.stream().map(Evaluation::task).filter(Suite.DS_AVG::contains).forEach(dsTasks::add);
            frontier.add("ds_avg_tasks", dsTasks);
        }
        root.add("frontier", frontier);
        return root;
    }

    private static JsonObject samples(Evaluation e) {
        JsonObject ns = new JsonObject();
        ns.addProperty("original", e.originalSamples());
        ns.addProperty("effective", e.samples());
        return ns;
    }

    /** A grouped task's subtasks, depth first (MMLU: categories, then subjects), as lm-eval lists them. */
    private static void addGroups(Evaluation e, JsonObject res, JsonObject versions, JsonObject nSamples, JsonObject groups,
            JsonObject groupSubtasks) {
        if (e.subtasks().isEmpty()) {
            return;
        }
        groups.add(e.task(), e.lmEvalResults());
        JsonArray subs = new JsonArray();
        for (Evaluation s : e.subtasks().values()) {
            res.add(s.task(), s.lmEvalResults());
            versions.addProperty(s.task(), s.version());
            if (s.subtasks().isEmpty()) {
                nSamples.add(s.task(), samples(s));
            }
            subs.add(s.task());
            addGroups(s, res, versions, nSamples, groups, groupSubtasks);
        }
        groupSubtasks.add(e.task(), subs);
    }
}
