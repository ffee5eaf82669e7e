package dev.moefrontier.harness.spi;

import dev.moefrontier.harness.eval.EvalContext;
import dev.moefrontier.harness.eval.Evaluation;
import dev.moefrontier.harness.eval.Request;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.spi.Named;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A task that scores a (possibly compressed) model. Register implementations in
 * {@code META-INF/services/dev.moefrontier.harness.spi.Evaluator}.
 */
public interface Evaluator extends Named {

    /** Task version (lm-eval's metadata.version for lm-eval tasks). */
    String version();

    /** Options (seqlen, number of windows, ...). */
    default List<OptionSpec> options() {
        return List.of();
    }

    /**
     * The data files of this task. {@code data} is a file, or a directory holding {@code <task>.jsonl|.parquet|.txt}
     * (also {@code .json}, {@code .jsonl.gz}) or a {@code <task>/} folder of such files (e.g. the hub's parquet shards).
     */
    default List<Path> locate(Path data) {
        if (Files.isRegularFile(data)) {
            return List.of(data);
        }
        if (!Files.isDirectory(data)) {
            throw CheckpointException.of(data, "no such file or directory");
        }
        for (String ext : DATA_EXTENSIONS) {
            Path f = data.resolve(name() + ext);
            if (Files.isRegularFile(f)) {
                return List.of(f);
            }
        }
        Path dir = data.resolve(name());
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                List<Path> files = s.filter(Files::isRegularFile).filter(Evaluator::isData).sorted().toList();
                if (!files.isEmpty()) {
                    return files;
                }
            } catch (IOException e) {
                throw CheckpointException.of(dir, "cannot list: " + e.getMessage());
            }
        }
        throw CheckpointException.of(data, "no data for task '" + name() + "': expected " + name() + ".jsonl, " + name()
                + ".parquet or a folder " + name() + "/ of such files");
    }

    List<String> DATA_EXTENSIONS = List.of(".jsonl", ".parquet", ".json", ".jsonl.gz", ".json.gz", ".txt");

    static boolean isData(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return DATA_EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    /** Scores the model in {@code ctx} on {@code files}. */
    Evaluation evaluate(EvalContext ctx, List<Path> files, Options options);

    /**
     * Tokens this task runs through the model, for {@code frontier plan --estimate}; -1 when it cannot tell. By default:
     * the tokens of every request of the first {@code ctx.limit()} documents ({@link #requests}).
     */
    default long estimatedTokens(EvalContext ctx, List<Path> files, Options options) {
        List<Request> requests;
        try {
            requests = requests(files, options);
        } catch (IllegalArgumentException e) {
            return -1;
        }
        long n = 0;
        for (Request r : requests) {
            if (ctx.limit() == null || r.doc() < ctx.limit()) {
                int[][] pair = ctx.encodePair(r.context(), r.continuation());
                n += pair[0].length + pair[1].length;
            }
        }
        return n;
    }

    /** The loglikelihood requests this task sends, for {@code frontier requests}; tasks without them refuse. */
    default List<Request> requests(List<Path> files, Options options) {
        throw new IllegalArgumentException("task '" + name() + "' does not send loglikelihood requests");
    }
}
