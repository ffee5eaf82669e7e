package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.eval.MetricValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * MMLU (cais/mmlu, test split), zero-shot as lm-eval's default template: the subject description
 * "The following are multiple choice questions (with answers) about {subject with spaces}.\n\n", then
 * "{question.strip()}\nA. {c0}\nB. {c1}\nC. {c2}\nD. {c3}\nAnswer:"; choices A-D; gold answer. The subject comes from
 * the {@code subject} column (or the file's folder or name); all 57 subjects are reported, and {@code mmlu} is the mean
 * over every question.
 */
public final class Mmlu extends MultipleChoiceTask {
    /** The subjects of each category, as lm-eval's mmlu group nests them (stem, other, social sciences, humanities). */
    static final Map<String, List<String>> CATEGORIES = categories();

    static final Set<String> SUBJECTS = CATEGORIES.values().stream().flatMap(List::stream).collect(Collectors.toUnmodifiableSet());

    private static Map<String, List<String>> categories() {
        Map<String, List<String>> c = new LinkedHashMap<>();
        c.put("stem", List.of(
                "abstract_algebra", "anatomy", "astronomy", "college_biology", "college_chemistry",
                "college_computer_science", "college_mathematics", "college_physics", "computer_security",
                "conceptual_physics", "electrical_engineering", "elementary_mathematics", "high_school_biology",
                "high_school_chemistry", "high_school_computer_science", "high_school_mathematics", "high_school_physics",
                "high_school_statistics", "machine_learning"));
        c.put("other", List.of(
                "business_ethics", "clinical_knowledge", "college_medicine", "global_facts", "human_aging", "management",
                "marketing", "medical_genetics", "miscellaneous", "nutrition", "professional_accounting",
                "professional_medicine", "virology"));
        c.put("social_sciences", List.of(
                "econometrics", "high_school_geography", "high_school_government_and_politics",
                "high_school_macroeconomics", "high_school_microeconomics", "high_school_psychology", "human_sexuality",
                "professional_psychology", "public_relations", "security_studies", "sociology", "us_foreign_policy"));
        c.put("humanities", List.of(
                "formal_logic", "high_school_european_history", "high_school_us_history", "high_school_world_history",
                "international_law", "jurisprudence", "logical_fallacies", "moral_disputes", "moral_scenarios",
                "philosophy", "prehistory", "professional_law", "world_religions"));
        return Collections.unmodifiableMap(c);
    }

    @Override
    public String name() {
        return "mmlu";
    }

    @Override
    public String description() {
        return "MMLU (cais/mmlu, test split, all 57 subjects, subject description prefix), acc";
    }

    /** lm-eval's version of the mmlu group (its subjects are 1.0). */
    @Override
    public String version() {
        return "2";
    }

    static final String SUBJECT_VERSION = "1.0";

    @Override
    public Evaluation evaluate(EvalContext ctx, List<Path> files, Options options) {
        Evaluation flat = super.evaluate(ctx, files, options);
        Map<String, Evaluation> groups = new LinkedHashMap<>();
        CATEGORIES.forEach((cat, subjects) -> {
            List<Evaluation> leaves = new ArrayList<>();
            for (String s : subjects) {
                Evaluation e = flat.subtasks().get(name() + "_" + s);
                if (e != null) {
                    leaves.add(new Evaluation(e.task(), SUBJECT_VERSION, e.metrics(), e.headline(), e.samples(), e.originalSamples(),
                            e.provenance(), Map.of()));
                }
            }
            if (!leaves.isEmpty()) {
                groups.put(name() + "_" + cat, group(name() + "_" + cat, leaves, flat.provenance()));
            }
        });
        Evaluation top = group(name(), new ArrayList<>(groups.values()), flat.provenance());
        return new Evaluation(name(), version(), top.metrics(), headline(), flat.samples(), flat.originalSamples(), flat.provenance(), groups);
    }

    /** A group of evaluations, aggregated as lm-eval aggregates acc with weight_by_size. */
    private Evaluation group(String task, List<Evaluation> parts, Map<String, String> provenance) {
        int[] sizes = parts.stream().mapToInt(Evaluation::samples).toArray();
        MetricValue acc = MetricValue.pooled(parts.stream().map(e -> e.metrics().get("acc")).toList(), sizes);
        Map<String, Evaluation> sub = new LinkedHashMap<>();
        parts.forEach(p -> sub.put(p.task(), p));
        return new Evaluation(task, version(), Map.of("acc", acc), "acc", Arrays.stream(sizes).sum(),
                parts.stream().mapToInt(Evaluation::originalSamples).sum(), provenance, sub);
    }

    @Override
    protected boolean accNorm() {
        return false;
    }

    /** The subject of a row: the subject column, else a subject named in the file's path. */
    static String subject(Records.Row row) {
        Object s = row.fields().get("subject");
        if (s instanceof String str && !str.isEmpty()) {
            return str;
        }
        for (java.nio.file.Path p = row.file(); p != null; p = p.getParent()) {
            String n = p.getFileName() == null ? "" : p.getFileName().toString();
            for (String subj : SUBJECTS) {
                if (n.equals(subj) || n.startsWith(subj + ".") || n.startsWith(subj + "-")) {
                    return subj;
                }
            }
        }
        throw row.error("no 'subject' field and no subject in the file path");
    }

    @Override
    protected Doc doc(Records.Row row) {
        String subject = subject(row);
        if (!SUBJECTS.contains(subject)) {
            throw row.error("unknown MMLU subject '" + subject + "'");
        }
        List<String> c = row.strings("choices");
        if (c.size() != 4) {
            throw row.error("MMLU needs 4 choices, got " + c.size());
        }
        String description = "The following are multiple choice questions (with answers) about " + subject.replace('_', ' ') + ".\n\n";
        String ctx = description + Py.strip(row.string("question")) + "\nA. " + c.get(0) + "\nB. " + c.get(1) + "\nC. " + c.get(2)
                + "\nD. " + c.get(3) + "\nAnswer:";
        Doc d = standard(ctx, List.of("A", "B", "C", "D"), (int) row.integer("answer"), row);
        return new Doc(d.contexts(), d.continuations(), d.gold(), d.choices(), subject);
    }
}
