package dev.moefrontier.tasks;

import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.data.Records;
import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.LoglikelihoodEngine;
import dev.moefrontier.harness.eval.MetricValue;
import dev.moefrontier.harness.eval.Request;
import dev.moefrontier.harness.util.Checksums;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A zero-shot multiple-choice task scored the way lm-evaluation-harness scores it (methods.md §6): every choice is the
 * loglikelihood of {@code " " + choice} after the context (multiple-input tasks such as winogrande have one context per
 * option and a shared continuation); acc = argmax of loglikelihood, acc_norm = argmax of loglikelihood divided by the
 * choice's length in characters, ties to the first choice (numpy's argmax); standard errors are lm-eval's mean_stderr.
 */
public abstract class MultipleChoiceTask implements Evaluator {

    /**
     * One document.
     *
     * @param contexts one context, or one per choice for multiple-input tasks
     * @param continuations one per choice, or the shared one for multiple-input tasks
     * @param gold index of the correct choice
     * @param choices the choice strings whose lengths normalize acc_norm (lm-eval's doc_to_choice)
     * @param group subtask (MMLU subject), or null
     */
    public record Doc(List<String> contexts, List<String> continuations, int gold, List<String> choices, String group) {
        public int size() {
            return choices.size();
        }
    }

    /** lm-eval's target delimiter. */
    protected static final String DELIMITER = " ";

    /** Builds the document of one dataset row; malformed rows throw the row's one-line error. */
    protected abstract Doc doc(Records.Row row);

    /** Whether acc_norm is among the task's metrics. */
    protected abstract boolean accNorm();

    /** The metric that represents the task in DS-Avg (methods.md §6). */
    public String headline() {
        return accNorm() ? "acc_norm" : "acc";
    }

    /** A document with one context and {@code " " + choice} continuations. */
    protected static Doc standard(String context, List<String> choices, int gold, Records.Row row) {
        if (gold < 0 || gold >= choices.size()) {
            throw row.error("gold answer " + gold + " is not one of the " + choices.size() + " choices");
        }
        List<String> conts = new ArrayList<>();
        for (String c : choices) {
            conts.add(DELIMITER + c);
        }
        return new Doc(List.of(context), conts, gold, choices, null);
    }

    /** Documents of the data files, in file order, the first {@code limit} when given. */
    public List<Doc> docs(List<Path> files, Integer limit) {
        List<Doc> out = new ArrayList<>();
        for (Path f : files) {
            for (Records.Row r : Records.read(f)) {
                if (limit != null && out.size() >= limit) {
                    return out;
                }
                out.add(doc(r));
            }
        }
        return out;
    }

    @Override
    public List<Request> requests(List<Path> files, Options options) {
        List<Request> out = new ArrayList<>();
        List<Doc> docs = docs(files, null);
        for (int i = 0; i < docs.size(); i++) {
            Doc d = docs.get(i);
            for (int j = 0; j < d.size(); j++) {
                String ctx = d.contexts().size() == 1 ? d.contexts().get(0) : d.contexts().get(j);
                String cont = d.continuations().size() == 1 ? d.continuations().get(0) : d.continuations().get(j);
                out.add(new Request(i, j, ctx, cont));
            }
        }
        return out;
    }

    @Override
    public Evaluation evaluate(EvalContext ctx, List<Path> files, Options options) {
        List<Doc> all = docs(files, null);
        List<Doc> docs = ctx.limit() == null ? all : all.subList(0, Math.min(ctx.limit(), all.size()));
        List<LoglikelihoodEngine.Query> queries = new ArrayList<>();
        for (Doc d : docs) {
            for (int j = 0; j < d.size(); j++) {
                String c = d.contexts().size() == 1 ? d.contexts().get(0) : d.contexts().get(j);
                String cont = d.continuations().size() == 1 ? d.continuations().get(0) : d.continuations().get(j);
                int[][] enc = ctx.encodePair(c, cont);
                queries.add(new LoglikelihoodEngine.Query(enc[0], enc[1]));
            }
        }
        List<LoglikelihoodEngine.Answer> answers = ctx.engine().loglikelihood(queries, name());
        double[] lls = answers.stream().mapToDouble(LoglikelihoodEngine.Answer::logLikelihood).toArray();
        double[][] scored = score(docs, lls);
        double[] acc = scored[0];
        double[] norm = scored[1];
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("task_version", version());
        prov.put("dataset_sha256", Checksums.sha256(files));
        prov.put("dataset_files", String.join(",", files.stream().map(Path::toString).toList()));
        prov.put("limit", ctx.limit() == null ? "none" : Integer.toString(ctx.limit()));
        prov.put("max_length", Integer.toString(ctx.maxLength()));
        prov.put("batch_tokens", Integer.toString(ctx.batchTokens()));
        prov.put("num_fewshot", "0");
        Map<String, Evaluation> subtasks = subtasks(docs, acc, norm, all, prov);
        return new Evaluation(name(), version(), metrics(acc, norm), headline(), docs.size(), all.size(), prov, subtasks);
    }

    /**
     * Per document {acc, acc_norm} from the loglikelihoods of every choice, in request order: acc = argmax of the
     * loglikelihoods, acc_norm = argmax of loglikelihood / len(choice) in characters, ties to the first choice.
     */
    static double[][] score(List<Doc> docs, double[] lls) {
        double[] acc = new double[docs.size()];
        double[] norm = new double[docs.size()];
        int q = 0;
        for (int i = 0; i < docs.size(); i++) {
            Doc d = docs.get(i);
            double[] ll = new double[d.size()];
            double[] ln = new double[d.size()];
            for (int j = 0; j < ll.length; j++) {
                ll[j] = lls[q++];
                String c = d.choices().get(j);
                ln[j] = ll[j] / c.codePointCount(0, c.length()); // Python's len(): code points, not UTF-16 units
            }
            acc[i] = argmax(ll) == d.gold() ? 1 : 0;
            norm[i] = argmax(ln) == d.gold() ? 1 : 0;
        }
        return new double[][] {acc, norm};
    }

    private Map<String, MetricValue> metrics(double[] acc, double[] norm) {
        Map<String, MetricValue> m = new LinkedHashMap<>();
        m.put("acc", MetricValue.mean(acc, true));
        if (accNorm()) {
            m.put("acc_norm", MetricValue.mean(norm, true));
        }
        return m;
    }

    /** Per-group evaluations (MMLU subjects), empty for ungrouped tasks. */
    private Map<String, Evaluation> subtasks(List<Doc> docs, double[] acc, double[] norm, List<Doc> all, Map<String, String> prov) {
        Map<String, List<Integer>> byGroup = new TreeMap<>();
        for (int i = 0; i < docs.size(); i++) {
            if (docs.get(i).group() != null) {
                byGroup.computeIfAbsent(docs.get(i).group(), g -> new ArrayList<>()).add(i);
            }
        }
        Map<String, Integer> originals = new TreeMap<>();
        for (Doc d : all) {
            if (d.group() != null) {
                originals.merge(d.group(), 1, Integer::sum);
            }
        }
        Map<String, Evaluation> out = new LinkedHashMap<>();
        byGroup.forEach((g, idx) -> {
            double[] a = idx.stream().mapToDouble(i -> acc[i]).toArray();
            double[] n = idx.stream().mapToDouble(i -> norm[i]).toArray();
            String name = name() + "_" + g;
            out.put(name, new Evaluation(name, version(), metrics(a, n), headline(), idx.size(), originals.get(g), prov, Map.of()));
        });
        return out;
    }

    /** Index of the largest value; ties to the first (numpy.argmax). */
    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
