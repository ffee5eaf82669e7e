package dev.moefrontier.compressors;

import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.MaskSpec;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * X+Wanda (methods.md §4.11): stage 1 runs expert compressor X at expert ratio r1 (default r_total / 2), stage 2 Wanda at
 * sparsity r2 on the surviving routed experts and the shared experts, reusing the calibration windows, with
 * r2 = (r_total (P_r + P_s) − r1 P_r) / ((1 − r1) P_r + P_s) so that the removed MoE-block fraction is r_total. r2 is
 * computed from the expert fraction stage 1 actually removed (m / E after rounding), so the total lands on target.
 */
class HybridCompressor implements Compressor {
    private final Compressor expert;

    HybridCompressor(Compressor expert) {
        this.expert = expert;
    }

    @Override
    public String name() {
        return expert.name() + "+wanda";
    }

    @Override
    public Level level() {
        return Level.HYBRID;
    }

    @Override
    public String expertStage() {
        return expert.name();
    }

    @Override
    public String version() {
        return expert.version() + "+wanda1";
    }

    @Override
    public String description() {
        return expert.name() + " at expert ratio r1, then Wanda on the survivors so the MoE-block total equals the ratio";
    }

    @Override
    public List<OptionSpec> options() {
        List<OptionSpec> o = new ArrayList<>(expert.options());
        o.add(OptionSpec.real("r1", -1, -1.0, 0.99, "stage-1 expert ratio; -1 = half the total ratio"));
        for (OptionSpec w : WandaCompressor.wandaOptions()) {
            if (!w.name().equals("wanda.pattern")) { // the total must be met exactly: unstructured only
                o.add(w);
            }
        }
        return o;
    }

    @Override
    public Set<dev.moefrontier.harness.spi.CalibrationStatistic> statistics(Options options) {
        return expert.statistics(expertOptions(options)); // Wanda's norms come from passes with stage 1 applied
    }

    /** Sequential: one forward of the calibration windows, layer by layer (the masks' inputs are recomputed). */
    @Override
    public double estimatedPlanFlops(dev.moefrontier.harness.model.ModelConfig config, double ratio, Options options, long calibrationTokens,
            int windowLength) {
        return options.getBool("wanda.sequential") ? calibrationTokens * dev.moefrontier.harness.model.Flops.forwardPerToken(config, windowLength) : 0;
    }

    @Override
    public boolean needsCalibrationData(Options options) {
        return true;
    }

    private Options expertOptions(Options options) {
        Map<String, String> raw = new LinkedHashMap<>();
        for (OptionSpec s : expert.options()) {
            raw.put(s.name(), options.asMap().get(s.name()));
        }
        return Options.parse(expert.name(), expert.options(), raw);
    }

    /** r1 from the options (default: half the total). */
    private double r1(double ratio, Options options) {
        double r1 = options.getDouble("r1") < 0 ? ratio / 2 : options.getDouble("r1");
        if (!(r1 > 0 && r1 <= ratio)) {
            throw new IllegalArgumentException(name() + ": r1 must be in (0, ratio], got " + r1);
        }
        return r1;
    }

    /** The stage-2 sparsity, from the expert fraction stage 1 actually removes. */
    private double r2(dev.moefrontier.harness.model.ModelConfig cfg, double ratio, double r1) {
        int e = cfg.moe().numExperts();
        double achieved = (double) Budget.pruneCount(r1, e, cfg.moe().topK()) / e;
        return Budget.hybridSparsity(cfg, ratio, achieved);
    }

    @Override
    public void check(dev.moefrontier.harness.model.ModelConfig cfg, double ratio, Options options) {
        Budget.checkRatio(ratio);
        r2(cfg, ratio, r1(ratio, options));
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        Budget.checkRatio(ratio);
        double r1 = r1(ratio, options);
        PruningPlan stage1 = expert.plan(ctx, r1, expertOptions(options));
        int e = ctx.config().moe().numExperts();
        double achieved = (double) ctx.pruneCount(r1) / e;
        double r2 = r2(ctx.config(), ratio, r1);
        MaskSpec spec = MaskSpec.of("wanda", "unstructured", r2, options.getBool("wanda.sequential"), options.getString("wanda.empty"));
        Map<String, String> info = new LinkedHashMap<>(stage1.info());
        info.put("stage1", expert.name());
        PlanFigures figures = stage1.figures().plus(PlanFigures.builder().number(PlanFigures.EXPERT_STAGE_RATIO, r1)
                .number("r1_achieved", achieved).number(PlanFigures.WEIGHT_STAGE_RATIO, r2).build());
        return WandaStage.apply(ctx, stage1, spec, name(), options.asMap(), ratio, info).withFigures(figures);
    }
}
