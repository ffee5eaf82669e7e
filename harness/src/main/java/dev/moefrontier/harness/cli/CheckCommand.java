package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.sweep.ReferenceCheck;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code frontier check}. */
@Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare a run with a reference; exit 1 on a regression.",
            "The reference folder holds frontier.csv, tolerances.json ({\"default\": {\"abs\": a, \"rel\": r}, \"metrics\":",
            "{\"ppl\": {...}, ...}, \"compression_abs\": c}) and, when made by this version, plans.jsonl (every plan's",
            "decisions) and environment.json (the numeric environment it was made in).",
            "Plans are compared first: a cell whose plan differs is reported as PLAN CHANGED with the experts that left",
            "and joined each layer's kept set, changed redirects or masks, and the decision margins of both sides; its",
            "values are not compared. Every other value fails when |run - reference| > max(abs, rel |reference|) (WORSE or",
            "BETTER); reference rows missing from the run fail too. When the numeric environments differ, the report",
            "starts with the differences."})
final class CheckCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "Run folder (or its frontier.csv).")
    Path run;

    @Option(names = "--against", required = true, paramLabel = "REF", description = "Reference folder, e.g. results/reference/demo.")
    Path against;

    @Option(names = "--plan-changes", defaultValue = "auto", paramLabel = "POLICY",
            description = "fail, warn, or auto: fail when the reference was made in the reproducible numerics mode, else warn."
                    + " Default: ${DEFAULT-VALUE}.")
    ReferenceCheck.PlanPolicy planChanges;

    @Override
    public Integer call() throws Exception {
        ReferenceCheck.Result r = ReferenceCheck.check(run, against, planChanges);
        System.out.println(ReferenceCheck.report(r));
        return r.fails() ? 1 : 0;
    }
}
