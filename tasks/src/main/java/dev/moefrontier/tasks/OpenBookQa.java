package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;

/** OpenBookQA (allenai/openbookqa main): context question_stem, choices choices.text, gold label of answerKey.lstrip(). */
public final class OpenBookQa extends MultipleChoiceTask {
    @Override
    public String name() {
        return "openbookqa";
    }

    @Override
    public String description() {
        return "OpenBookQA (allenai/openbookqa main, test split), acc / acc_norm";
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
        Records.Row choices = row.object("choices");
        int gold = choices.strings("label").indexOf(Py.lstrip(row.string("answerKey")));
        return standard(row.string("question_stem"), choices.strings("text"), gold, row);
    }
}
