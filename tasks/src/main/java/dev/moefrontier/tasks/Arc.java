package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;
import java.util.List;

/** ARC (allenai/ai2_arc): "Question: {question}\nAnswer:", choices choices.text, gold choices.label.index(answerKey). */
public abstract class Arc extends MultipleChoiceTask {
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
        Records.Row choices = row.object("choices");
        List<String> text = choices.strings("text");
        List<String> labels = choices.strings("label");
        String key = row.string("answerKey");
        return standard("Question: " + row.string("question") + "\nAnswer:", text, labels.indexOf(key), row);
    }

    /** ARC-Easy. */
    public static final class Easy extends Arc {
        @Override
        public String name() {
            return "arc_easy";
        }

        @Override
        public String description() {
            return "ARC-Easy (allenai/ai2_arc ARC-Easy, test split), acc / acc_norm";
        }
    }

    /** ARC-Challenge. */
    public static final class Challenge extends Arc {
        @Override
        public String name() {
            return "arc_challenge";
        }

        @Override
        public String description() {
            return "ARC-Challenge (allenai/ai2_arc ARC-Challenge, test split), acc / acc_norm";
        }
    }
}
