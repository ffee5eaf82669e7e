package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;
import java.util.List;

/**
 * WinoGrande (allenai/winogrande winogrande_xl) with partial evaluation: one context per option (the sentence up to the
 * blank with the option filled in), the shared continuation " " + the text after the blank (stripped), gold answer
 * "1" / "2".
 */
public final class Winogrande extends MultipleChoiceTask {
    @Override
    public String name() {
        return "winogrande";
    }

    @Override
    public String description() {
        return "WinoGrande (allenai/winogrande winogrande_xl, validation split), partial evaluation, acc";
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
        String s = row.string("sentence");
        int idx = s.indexOf('_');
        if (idx < 0) {
            throw row.error("sentence has no '_' blank");
        }
        String answer = row.string("answer");
        int gold = switch (answer) {
            case "1" -> 0;
            case "2" -> 1;
            default -> throw row.error("answer must be \"1\" or \"2\", got \"" + answer + "\"");
        };
        List<String> contexts = List.of(s.substring(0, idx) + row.string("option1"), s.substring(0, idx) + row.string("option2"));
        String cont = DELIMITER + Py.strip(s.substring(idx + 1));
        return new Doc(contexts, List.of(cont), gold, contexts, null);
    }
}
