package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;
import java.util.List;

/** BoolQ (super_glue boolq): "{passage}\nQuestion: {question}?\nAnswer:", choices no / yes, gold label. */
public final class BoolQ extends MultipleChoiceTask {
    @Override
    public String name() {
        return "boolq";
    }

    @Override
    public String description() {
        return "BoolQ (aps/super_glue boolq, validation split), acc";
    }

    @Override
    public String version() {
        return "2.0";
    }

    @Override
    protected boolean accNorm() {
        return false;
    }

    @Override
    protected Doc doc(Records.Row row) {
        // super_glue has an integer 'label'; google/boolq has a boolean 'answer'.
        int gold = (int) (row.fields().containsKey("label") ? row.integer("label") : row.integer("answer"));
        return standard(row.string("passage") + "\nQuestion: " + row.string("question") + "?\nAnswer:", List.of("no", "yes"), gold, row);
    }
}
