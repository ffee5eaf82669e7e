package dev.moefrontier.harness.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.Request;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.util.AtomicFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code frontier requests}. */
@Command(name = "requests", mixinStandardHelpOptions = true,
        description = {"Write a task's loglikelihood requests without running a model.",
            "One JSON line per request: {\"doc\": i, \"choice\": j, \"context\": \"...\", \"continuation\": \"...\"}, built",
            "exactly as lm-evaluation-harness builds them (zero-shot), so the prompts can be diffed against lm-eval's."})
final class RequestsCommand implements Callable<Integer> {
    @Option(names = "--task", required = true, paramLabel = "TASK")
    String task;

    @Option(names = "--data", required = true, paramLabel = "DIR|FILE")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "FILE")
    Path out;

    @Override
    public Integer call() throws Exception {
        Evaluator ev = Suite.registry().get(task);
        List<Request> reqs = ev.requests(ev.locate(data), Options.parse(ev.name(), ev.options(), Map.of()));
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        StringBuilder sb = new StringBuilder();
        for (Request r : reqs) {
            JsonObject o = new JsonObject();
            o.addProperty("doc", r.doc());
            o.addProperty("choice", r.choice());
            o.addProperty("context", r.context());
            o.addProperty("continuation", r.continuation());
            sb.append(gson.toJson(o)).append('\n');
        }
        AtomicFiles.writeString(out, sb);
        System.out.printf("wrote %d requests of %s to %s%n", reqs.size(), task, out);
        return 0;
    }
}
