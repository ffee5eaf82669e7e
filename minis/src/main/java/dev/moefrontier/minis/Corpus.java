package dev.moefrontier.minis;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The minis' multi-domain corpus: a deterministic, versioned generator (nothing is downloaded). Every line is one
 * document tagged with its domain; line {@code i} of a split depends only on (version seed, split, i). Training lines
 * draw their domain at random; calibration and test lines cycle through the domains, so those splits are balanced.
 */
public final class Corpus {
    /** Bump when any generator changes: checkpoints and data files record it. */
    public static final String VERSION = "mini-corpus-1";
    private static final long SEED = 0x6D696E6931L; // "mini1"

    /** The domains, in a fixed order. */
    public static final List<Domain> DOMAINS = List.of(new ArithmeticDomain(), new GrammarDomain(), new RecordsDomain(),
            new BracketsDomain(), new ListsDomain());

    /** Corpus splits; each has its own random stream. */
    public enum Split {
        TRAIN, CALIBRATION, TEST, TASKS;

        String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One line of the corpus. */
    public record Line(String domain, String text) {}

    /** One multiple-choice item of a domain. */
    public record TaskItem(String domain, Domain.Item item) {}

    private Corpus() {}

    public static List<String> domainNames() {
        return DOMAINS.stream().map(Domain::name).toList();
    }

    private static SplittableRandom random(Split split, long index) {
        long s = SEED * 0x9E3779B97F4A7C15L + (split.ordinal() + 1) * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        return new SplittableRandom(s);
    }

    /** Line {@code index} of {@code split}. */
    public static Line line(Split split, long index) {
        SplittableRandom r = random(split, index);
        Domain d = split == Split.TRAIN ? DOMAINS.get(r.nextInt(DOMAINS.size())) : DOMAINS.get((int) (index % DOMAINS.size()));
        return new Line(d.name(), d.line(r));
    }

    /** Lines {@code [from, from + count)} of a split. */
    public static List<Line> lines(Split split, long from, int count) {
        List<Line> out = new ArrayList<>(count);
        for (long i = from; i < from + count; i++) {
            out.add(line(split, i));
        }
        return out;
    }

    /** {@code perDomain} multiple-choice items of every domain, domains interleaved. */
    public static List<TaskItem> items(int perDomain) {
        List<TaskItem> out = new ArrayList<>();
        for (int i = 0; i < perDomain; i++) {
            for (int d = 0; d < DOMAINS.size(); d++) {
                Domain dom = DOMAINS.get(d);
                out.add(new TaskItem(dom.name(), dom.item(random(Split.TASKS, (long) i * DOMAINS.size() + d))));
            }
        }
        return out;
    }

    /** Writes lines as JSONL {@code {"domain": ..., "text": ...}} (atomically). */
    public static void writeLines(Path file, List<Line> lines) throws IOException {
        Gson g = new Gson();
        StringBuilder sb = new StringBuilder();
        for (Line l : lines) {
            JsonObject o = new JsonObject();
            o.addProperty("domain", l.domain());
            o.addProperty("text", l.text());
            sb.append(g.toJson(o)).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    /** Writes items as JSONL {@code {"domain": ..., "context": ..., "choices": [...], "label": i}} (atomically). */
    public static void writeItems(Path file, List<TaskItem> items) throws IOException {
        Gson g = new Gson();
        StringBuilder sb = new StringBuilder();
        for (TaskItem t : items) {
            JsonObject o = new JsonObject();
            o.addProperty("domain", t.domain());
            o.addProperty("context", t.item().context());
            JsonArray c = new JsonArray();
            t.item().choices().forEach(c::add);
            o.add("choices", c);
            o.addProperty("label", t.item().gold());
            sb.append(g.toJson(o)).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
    }
}
