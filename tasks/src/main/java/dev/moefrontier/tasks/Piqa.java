package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;
import java.util.List;

/** PIQA: "Question: {goal}\nAnswer:", choices [sol1, sol2], gold label. */
public final class Piqa extends MultipleChoiceTask {
    @Override
    public String name() {
        return "piqa";
    }

    @Override
    public String description() {
        return "PIQA (baber/piqa, validation split), acc / acc_norm";
    }

    @Override
    public String version() {
        return "1.0";
    }

    @Override
    protected boolean accNorm() {
        return true;
    }

    @Override
    protected Doc doc(Records.Row row) {
        return standard("Question: " + row.string("goal") + "\nAnswer:", List.of(row.string("sol1"), row.string("sol2")),
                (int) row.integer("label"), row);
    }
}
