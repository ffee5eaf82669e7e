package dev.moefrontier.harness.cli;

import com.google.gson.GsonBuilder;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.ScoreTable;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Provenance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier scores}. */
@Command(name = "scores", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write per-expert scores of score-based compressors as CSV.",
            "One row per (criterion, layer, expert): backbone,compressor,options,layer,expert,score,rank,tokens (the",
            "schema of a sweep's scores.csv). rank 1 is the most important expert (pruned last); at ratio r the experts",
            "with rank > E - round(rE) are pruned. tokens is |X_e|, the calibration tokens routed to the expert (empty",
            "without calibration). backbone is the model folder's name. A provenance sidecar",
            "OUT.provenance.json records versions, git commit, calibration and seed."})
final class ScoresCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR")
    Path model;

    @Option(names = "--criteria", split = ",", paramLabel = "LIST",
            description = "Comma-separated score-based compressors (default: every registered one).")
    List<String> criteria;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "scores.csv")
    Path out;

    @Mixin
    CalibrationOptions calibration;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        CompressorCatalog catalog = CompressorCatalog.load();
        List<ExpertScorer> scorers = new ArrayList<>();
        if (criteria == null) {
            for (Compressor c : catalog.registry().all()) {
                if (c instanceof ExpertScorer s) {
                    scorers.add(s);
                }
            }
        } else {
            Set<String> seen = new java.util.HashSet<>();
            for (String n : criteria) {
                Compressor c = catalog.get(n.trim());
                if (!seen.add(c.name())) {
                    throw new Main.UserError("--criteria names '" + c.name() + "' twice");
                }
                if (!(c instanceof ExpertScorer s)) {
                    throw new Main.UserError("'" + n + "' does not score experts (it is not a score-based compressor)");
                }
                scorers.add(s);
            }
        }
        Set<CalibrationStatistic> stats = new java.util.LinkedHashSet<>();
        Map<ExpertScorer, Options> opts = new LinkedHashMap<>();
        for (ExpertScorer s : scorers) {
            Options o = Options.parse(s.name(), s.options(), Map.of());
            opts.put(s, o);
            stats.addAll(s.statistics(o));
        }
        calibration.validate(!stats.isEmpty());
        StringBuilder csv = new StringBuilder(ScoreTable.HEADER);
        try (MoeTransformer m = runtime.open(model)) {
            CompressionContext ctx = calibration.context(m, stats, false);
            String backbone = model.toAbsolutePath().normalize().getFileName().toString();
            for (ExpertScorer s : scorers) {
                // Weight-only criteria (aimer) run without calibration: the tokens column is then empty.
                csv.append(ScoreTable.rows(backbone, s, opts.get(s), s.scores(ctx, opts.get(s)), ctx.hasStats() ? ctx.stats() : null));
            }
            Map<String, String> prov = new LinkedHashMap<>(Provenance.withNumerics());
            prov.put("model", model.toAbsolutePath().toString());
            prov.put("checkpoint_fingerprint", m.checkpoint().fingerprint());
            prov.put("calibration", ctx.hasData() ? ctx.data().spec().describe() : "none");
            prov.put("seed", Long.toString(calibration.seed()));
            prov.put("criteria", String.join(",", scorers.stream().map(ExpertScorer::name).toList()));
            AtomicFiles.writeString(out, csv);
            AtomicFiles.writeString(Path.of(out + ".provenance.json"), new GsonBuilder().setPrettyPrinting().create().toJson(prov) + "\n");
        }
        System.out.printf("wrote %d criteria to %s%n", scorers.size(), out);
        return 0;
    }
}
