package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * HellaSwag (Rowan/hellaswag) with lm-eval's preprocessing: query = preprocess(activity_label + ": " + ctx_a + " " +
 * ctx_b.capitalize()), choices = preprocess(ending) for each ending, gold = int(label); preprocess strips, turns
 * " [title]" into ". ", drops other [bracketed] artifacts and replaces double spaces.
 */
public final class HellaSwag extends MultipleChoiceTask {
    private static final Pattern BRACKETS = Pattern.compile("\\[.*?\\]");

    @Override
    public String name() {
        return "hellaswag";
    }

    @Override
    public String description() {
        return "HellaSwag (Rowan/hellaswag, validation split) with lm-eval preprocessing, acc / acc_norm";
    }

    @Override
    public String version() {
        return "1.0";
    }

    @Override
    protected boolean accNorm() {
        return true;
    }

    static String preprocess(String text) {
        String t = Py.strip(text);
        t = t.replace(" [title]", ". ");
        t = BRACKETS.matcher(t).replaceAll("");
        return t.replace("  ", " ");
    }

    @Override
    protected Doc doc(Records.Row row) {
        String ctx = row.string("ctx_a") + " " + Py.capitalize(row.string("ctx_b"));
        String query = preprocess(row.string("activity_label") + ": " + ctx);
        List<String> choices = new ArrayList<>();
        for (String e : row.strings("endings")) {
            choices.add(preprocess(e));
        }
        return standard(query, choices, (int) row.integer("label"), row);
    }
}
