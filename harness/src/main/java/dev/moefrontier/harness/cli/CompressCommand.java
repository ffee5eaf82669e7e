package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.compress.Accounting;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PlanExporter;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Provenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier compress}. */
@Command(name = "compress", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compress a checkpoint and export it.",
            "Writes a Hugging Face checkpoint (pruned experts and their router rows removed, survivors renumbered,",
            "merged / masked weights in the source dtype, config.json updated) plus pruning_plan.json. Redirect plans",
            "also keep the original routers in redirect_router.safetensors so 'frontier forward' reproduces them.",
            "See 'frontier list compressors' for names and options."})
final class CompressCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR")
    Path model;

    @Option(names = "--compressor", required = true, paramLabel = "NAME")
    String compressor;

    @Option(names = "--ratio", required = true, paramLabel = "R",
            description = "Expert reduction ratio in (0,1) (sparsity for wanda, MoE-block total for X+wanda).")
    double ratio;

    @Option(names = "--option", paramLabel = "K=V", description = "Compressor option; repeatable.")
    List<String> options = new ArrayList<>();

    @Option(names = "--mode", paramLabel = "MODE", description = "drop or redirect (default: the compressor's own).")
    String mode;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (must not exist or be empty).")
    Path out;

    @Mixin
    CalibrationOptions calibration;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        CompressorCatalog catalog = CompressorCatalog.load();
        Compressor c = catalog.get(compressor);
        Options opts = Options.parse(c.name(), c.options(), Options.pairs(options));
        Budget.checkRatio(ratio);
        c.check(ModelConfig.load(model), ratio, opts); // before any loading or calibration
        PruningPlan.Mode forced = mode == null ? null : switch (mode) {
            case "drop" -> PruningPlan.Mode.DROP;
            case "redirect" -> PruningPlan.Mode.REDIRECT;
            default -> throw new Main.UserError("--mode must be drop or redirect, got '" + mode + "'");
        };
        boolean needData = c.needsCalibrationData(opts);
        calibration.validate(needData);
        if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            throw new Main.UserError(out + ": exists and is not an empty directory");
        }
        try (MoeTransformer m = runtime.open(model)) {
            CompressionContext ctx = calibration.context(m, c.statistics(opts), needData);
            PruningPlan plan = c.plan(ctx, ratio, opts);
            if (forced != null) {
                plan = plan.withMode(forced);
            }
            Map<String, String> prov = new LinkedHashMap<>(Provenance.withNumerics());
            prov.put("command", "compress --compressor " + compressor + " --ratio " + ratio);
            prov.put("calibration", ctx.hasData() ? ctx.data().spec().describe() : "none");
            prov.put("seed", Long.toString(calibration.seed()));
            try (AppliedPlan applied = new AppliedPlan(m, plan)) {
                PlanExporter.export(m, applied, out, prov);
            }
            Accounting a = Budget.account(m.config(), plan);
            LayerPlan first = plan.layers().get(0);
            System.out.printf("%s at ratio %s (%s): keeps %d of %d experts per layer; removed %.1f%% of MoE-block parameters"
                    + " (%.1f%% of the model)%n", c.name(), ratio, plan.mode().name().toLowerCase(java.util.Locale.ROOT),
                    first.kept().length, first.numExperts(), 100 * a.compression(), 100 * a.removedTotalFraction());
            if (!plan.figures().numbers().isEmpty()) {
                List<String> figs = new java.util.ArrayList<>();
                plan.figures().numbers().forEach((k, v) -> figs.add(k + " = " + v));
                System.out.println("figures: " + String.join(", ", figs));
            }
            System.out.println("wrote " + out);
        }
        return 0;
    }
}
