package dev.moefrontier.compressors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.LayerStats;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.calib.StatsCollector;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.ExpertNorms;
import dev.moefrontier.harness.compress.LayerMasks;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.MaskSpec;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.MoeOverride;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.util.Progress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wanda on the surviving routed experts and the shared experts of a plan (methods.md §5, §4.11). Statistics come from
 * the calibration windows run through the model with the plan applied. Sequential (default): layer by layer, each
 * layer's input norms are collected with every earlier layer already pruned, then its masks are fixed before the hidden
 * states move on; otherwise one pass collects all norms.
 */
final class WandaStage {
    private WandaStage() {}

    /** {@code base} with Wanda masks of {@code spec} on every MoE layer it plans (or every MoE layer if dense). */
    static PruningPlan apply(CompressionContext ctx, PruningPlan base, MaskSpec spec, String name, Map<String, String> options,
            double ratio, Map<String, String> info) {
        MoeTransformer model = ctx.model();
        List<LayerPlan> layers = new ArrayList<>();
        for (int l : ctx.config().moeLayers()) {
            LayerPlan lp = base.layer(l);
            layers.add(lp != null ? lp : denseLayer(l, ctx.config().moe().numExperts()));
        }
        PruningPlan unmasked = base.with(name, options, ratio, layers, spec, info);
        Map<Integer, LayerMasks> masks = spec.sequential() ? sequential(ctx, unmasked, spec) : oneShot(ctx, unmasked, spec);
        List<LayerPlan> withMasks = new ArrayList<>();
        for (LayerPlan lp : layers) {
            withMasks.add(lp.withMasks(masks.get(lp.layer())));
        }
        PruningPlan plan = unmasked.with(name, options, ratio, withMasks, spec, Map.of());
        return withChecksums(model, plan);
    }

    /** A layer plan that keeps every expert. */
    static LayerPlan denseLayer(int layer, int experts) {
        int[] all = new int[experts];
        for (int i = 0; i < experts; i++) {
            all[i] = i;
        }
        return LayerPlan.keep(layer, experts, all);
    }

    /** All norms from one pass of the base plan (or the dense statistics when the base changes nothing). */
    private static Map<Integer, LayerMasks> oneShot(CompressionContext ctx, PruningPlan plan, MaskSpec spec) {
        CalibrationStats stats;
        boolean dense = plan.layers().stream().allMatch(lp -> lp.pruned().length == 0 && lp.merges().isEmpty());
        if (dense && ctx.stats() != null && ctx.stats().has(WandaInputs.STATISTIC)) {
            stats = ctx.stats();
        } else {
            try (AppliedPlan applied = new AppliedPlan(ctx.model(), plan)) {
                stats = ctx.calibrator().collect(ctx.model(), ctx.data(), List.of(WandaInputs.STATISTIC), applied);
            }
        }
        Map<Integer, LayerMasks> out = new LinkedHashMap<>();
        for (LayerPlan lp : plan.layers()) {
            out.put(lp.layer(), masksOf(WandaInputs.of(stats, lp.layer()), lp, stats.layer(lp.layer())));
        }
        return out;
    }

    /** Tokens per batch of the sequential passes (windows are never split). */
    static final int BATCH_TOKENS = 4096;

    /** Layer by layer: peek to collect layer l's norms under the masks of layers < l, then advance with l masked. */
    private static Map<Integer, LayerMasks> sequential(CompressionContext ctx, PruningPlan plan, MaskSpec spec) {
        MoeTransformer model = ctx.model();
        Map<Integer, LayerMasks> masks = new LinkedHashMap<>();
        List<TokenBatch> batches = TokenBatch.pack(ctx.data().windows(), BATCH_TOKENS);
        int numLayers = ctx.config().numLayers();
        try (MoeTransformer.LayerCursor cursor = model.cursor(batches);
                Progress p = Progress.start("wanda (sequential)", numLayers, "layers")) {
            while (cursor.next() < numLayers) {
                int l = cursor.next();
                LayerPlan lp = plan.layer(l);
                if (lp != null) {
                    StatsCollector collector = new StatsCollector(ctx.config(), List.of(RoutingStatistics.ROUTING, WandaInputs.STATISTIC));
                    try (AppliedPlan unmaskedHere = new AppliedPlan(model, withMasks(plan, masks))) {
                        cursor.peek(unmaskedHere, collector);
                    }
                    CalibrationStats peeked = collector.result(Map.of());
                    masks.put(l, masksOf(WandaInputs.of(peeked, l), lp, peeked.layer(l)));
                }
                try (AppliedPlan applied = new AppliedPlan(model, withMasks(plan, masks))) {
                    cursor.advance(applied, ForwardObserver.NONE);
                }
                p.step(1);
            }
        }
        return masks;
    }

    /** The plan with the masks decided so far (layers without masks run unmasked). */
    private static PruningPlan withMasks(PruningPlan plan, Map<Integer, LayerMasks> masks) {
        List<LayerPlan> ls = new ArrayList<>();
        for (LayerPlan lp : plan.layers()) {
            ls.add(lp.withMasks(masks.get(lp.layer())));
        }
        return plan.with(plan.compressor(), plan.options(), plan.ratio(), ls, plan.maskSpec(), Map.of());
    }

    /** Norms of the kept experts (and shared expert) of one layer; the checksum is filled in later. */
    private static LayerMasks masksOf(WandaInputs.Layer s, LayerPlan lp, LayerStats routing) {
        Map<Integer, ExpertNorms> experts = new LinkedHashMap<>();
        for (int e : lp.kept()) {
            experts.put(e, new ExpertNorms(s.input(e), s.intermediate(e), routing.count(e)));
        }
        ExpertNorms shared = s.sharedInput() == null ? null : new ExpertNorms(s.sharedInput(), s.sharedIntermediate(), s.tokens());
        return new LayerMasks(experts, shared, "");
    }

    /** Computes every mask once more to record its SHA-256 per layer (methods.md §2: spec + checksum). */
    static PruningPlan withChecksums(MoeTransformer model, PruningPlan plan) {
        List<LayerPlan> out = new ArrayList<>();
        try (AppliedPlan unmasked = new AppliedPlan(model, stripMasks(plan)); NDManager m = model.manager().newSubManager()) {
            for (LayerPlan lp : plan.layers()) {
                LayerWeights w = model.weights().acquire(lp.layer());
                try {
                    MessageDigest md = sha256();
                    if (lp.merges().isEmpty() && w.moe().gateUpStack() != null) {
                        AppliedPlan.digestMasks(lp, w.moe(), plan.maskSpec(), md); // the same bytes, one copy of the layer
                        if (lp.masks().shared() != null && w.moe().sharedGateUpT() != null) {
                            AppliedPlan.mask(w.moe().sharedGateUpT(), w.moe().sharedDownT(), lp.masks().shared(), plan.maskSpec(), m, md);
                        }
                        out.add(lp.withMasks(new LayerMasks(lp.masks().experts(), lp.masks().shared(), HexFormat.of().formatHex(md.digest()))));
                        continue;
                    }
                    MoeOverride base = unmasked.moe(lp.layer(), w.moe()); // merged weights, if any
                    for (int e : lp.kept()) {
                        NDArray gu = base != null && base.gateUpT() != null && base.gateUpT()[e] != null ? base.gateUpT()[e] : w.moe().gateUpT().get(e);
                        NDArray dn = base != null && base.downT() != null && base.downT()[e] != null ? base.downT()[e] : w.moe().downT().get(e);
                        AppliedPlan.mask(gu, dn, lp.masks().experts().get(e), plan.maskSpec(), m, md);
                    }
                    if (lp.masks().shared() != null && w.moe().sharedGateUpT() != null) {
                        AppliedPlan.mask(w.moe().sharedGateUpT(), w.moe().sharedDownT(), lp.masks().shared(), plan.maskSpec(), m, md);
                    }
                    out.add(lp.withMasks(new LayerMasks(lp.masks().experts(), lp.masks().shared(), HexFormat.of().formatHex(md.digest()))));
                } finally {
                    model.weights().release(w);
                }
            }
        }
        return plan.with(plan.compressor(), plan.options(), plan.ratio(), out, plan.maskSpec(), Map.of());
    }

    private static PruningPlan stripMasks(PruningPlan plan) {
        List<LayerPlan> ls = new ArrayList<>();
        for (LayerPlan lp : plan.layers()) {
            ls.add(lp.withMasks(null));
        }
        return plan.with(plan.compressor(), plan.options(), plan.ratio(), ls, null, Map.of());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
