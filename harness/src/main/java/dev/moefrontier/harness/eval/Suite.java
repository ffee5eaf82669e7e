package dev.moefrontier.harness.eval;

import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.spi.Registry;
import java.util.List;

/** The evaluator registry and the task suite whose mean is DS-Avg (methods.md §6). */
public final class Suite {
    /** The nine zero-shot lm-eval tasks of the paper's DS-Avg. */
    public static final List<String> DS_AVG = List.of("arc_easy", "arc_challenge", "boolq", "hellaswag", "mmlu", "openbookqa",
            "piqa", "rte", "winogrande");

    private Suite() {}

    public static Registry<Evaluator> registry() {
        return Registry.load(Evaluator.class, "task");
    }

    /** Unweighted mean of the headline metrics of the given evaluations (NaN when empty). */
    public static double dsAvg(List<Evaluation> evals) {
        double s = 0;
        int n = 0;
        for (Evaluation e : evals) {
            if (DS_AVG.contains(e.task())) {
                s += e.headlineValue().value();
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }
}
