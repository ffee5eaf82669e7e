package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;
import java.util.List;

/** RTE (nyu-mll/glue rte): "{sentence1}\nQuestion: {sentence2} True or False?\nAnswer:", choices True / False, gold label. */
public final class Rte extends MultipleChoiceTask {
    @Override
    public String name() {
        return "rte";
    }

    @Override
    public String description() {
        return "RTE (nyu-mll/glue rte, validation split), acc";
    }

    @Override
    public String version() {
        return "1.0";
    }

    @Override
    protected boolean accNorm() {
        return false;
    }

    @Override
    protected Doc doc(Records.Row row) {
        return standard(row.string("sentence1") + "\nQuestion: " + row.string("sentence2") + " True or False?\nAnswer:",
                List.of("True", "False"), (int) row.integer("label"), row);
    }
}
