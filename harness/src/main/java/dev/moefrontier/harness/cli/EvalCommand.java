package dev.moefrontier.harness.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.ExportedCheckpoint;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.LmEvalResults;
import dev.moefrontier.harness.eval.ResponseCache;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Provenance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier eval}. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score a model on tasks and write lm-evaluation-harness-shaped results JSON.",
            "",
            "Data is local: --data DIR holds <task>.jsonl, <task>.parquet (the Hugging Face hub's files)",
            "or a <task>/ folder of such files; --data FILE serves a single task.",
            "The JSON has results.<task>.{\"acc,none\", \"acc_stderr,none\", ...}, groups (MMLU), versions,",
            "n-samples and config like lm-eval's, and frontier.ds_avg over the DS-Avg tasks evaluated.",
            "Responses are cached per model: an interrupted run resumes where it stopped.",
            "'frontier list tasks' lists tasks and their options."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint folder (config.json, safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--tasks", split = ",", paramLabel = "LIST", description = "Comma-separated tasks (default: the nine DS-Avg tasks).")
    List<String> tasks;

    @Option(names = "--data", required = true, paramLabel = "DIR|FILE", description = "Task data (see above).")
    Path data;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate only the first N documents (windows) of each task.")
    Integer limit;

    @Option(names = "--batch-tokens", defaultValue = "4096", paramLabel = "N", description = "Padded tokens per forward batch. Default: ${DEFAULT-VALUE}.")
    int batchTokens;

    @Option(names = "--max-length", defaultValue = "0", paramLabel = "N", description = "Context length (0: config.json's, else 2048).")
    int maxLength;

    @Option(names = "--option", paramLabel = "TASK.K=V", description = "Task option, e.g. wikitext.seqlen=512; repeatable.")
    List<String> options = new ArrayList<>();

    @Option(names = "--cache", paramLabel = "DIR", description = "Response cache directory (default: $FRONTIER_CACHE or ~/.cache/moe-frontier).")
    Path cache;

    @Option(names = "--no-cache", description = "Do not read or write the response cache.")
    boolean noCache;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Results JSON to write.")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        if (limit != null && limit < 1) {
            throw new Main.UserError("--limit must be positive");
        }
        Registry<Evaluator> registry = Suite.registry();
        List<String> names = tasks != null ? tasks : Suite.DS_AVG;
        Map<String, Map<String, String>> taskOptions = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : Options.pairs(options).entrySet()) {
            int dot = e.getKey().indexOf('.');
            if (dot <= 0) {
                throw new Main.UserError("--option " + e.getKey() + ": name it TASK.KEY (e.g. wikitext.seqlen)");
            }
            taskOptions.computeIfAbsent(e.getKey().substring(0, dot), k -> new LinkedHashMap<>()).put(e.getKey().substring(dot + 1), e.getValue());
        }
        for (String t : taskOptions.keySet()) {
            if (!names.contains(t)) {
                throw new Main.UserError("--option for task '" + t + "', which is not among --tasks");
            }
        }
        // Everything that can be checked is checked before the model loads.
        List<Evaluator> evaluators = new ArrayList<>();
        List<List<Path>> files = new ArrayList<>();
        List<Options> opts = new ArrayList<>();
        for (String n : names) {
            Evaluator ev = registry.get(n.trim());
            evaluators.add(ev);
            files.add(ev.locate(data));
            opts.add(Options.parse(ev.name(), ev.options(), taskOptions.getOrDefault(ev.name(), Map.of())));
        }
        List<Evaluation> results = new ArrayList<>();
        try (MoeTransformer m = runtime.open(model)) {
            ModelPatch patch = ExportedCheckpoint.patchFor(m);
            String key = m.checkpoint().fingerprint();
            Path dir = cache != null ? cache : Calibrator.defaultCacheDir();
            try (ResponseCache rc = noCache ? null : new ResponseCache(dir.resolve("responses").resolve(key + ".tsv"));
                    EvalContext ctx = EvalContext.builder().setModel(m).optPatch(patch, key).optLimit(limit).optBatchTokens(batchTokens)
                            .optMaxLength(maxLength).optCache(rc).optLog(System.err::println).build()) {
                for (int i = 0; i < evaluators.size(); i++) {
                    Evaluation e = evaluators.get(i).evaluate(ctx, files.get(i), opts.get(i));
                    results.add(e);
                    System.out.printf("%-14s %s = %.4f%s (%d samples)%n", e.task(), e.headline(), e.headlineValue().value(),
                            Double.isNaN(e.headlineValue().stderr()) ? "" : String.format(" ± %.4f", e.headlineValue().stderr()), e.samples());
                }
                double ds = Suite.dsAvg(results);
                if (!Double.isNaN(ds)) {
                    System.out.printf("%-14s %.4f over %s%n", "DS-Avg", ds, String.join(", ",
                            results.stream().map(Evaluation::task).filter(Suite.DS_AVG::contains).toList()));
                }
                AtomicFiles.writeString(out, new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create()
                        .toJson(LmEvalResults.render(results, config(m, ctx), Provenance.withNumerics())) + "\n");
            }
        }
        System.out.println("wrote " + out);
        return 0;
    }

    /** lm-eval's {@code config} object. */
    private JsonObject config(MoeTransformer m, EvalContext ctx) {
        JsonObject config = new JsonObject();
        config.addProperty("model", "moe-frontier");
        config.addProperty("model_args", "pretrained=" + model.toAbsolutePath());
        config.addProperty("model_type", m.config().modelType());
        config.addProperty("checkpoint_fingerprint", ctx.modelKey());
        config.addProperty("batch_tokens", batchTokens);
        config.addProperty("max_length", ctx.maxLength());
        if (limit != null) {
            config.addProperty("limit", limit);
        }
        config.addProperty("bootstrap_iters", 0);
        return config;
    }
}
