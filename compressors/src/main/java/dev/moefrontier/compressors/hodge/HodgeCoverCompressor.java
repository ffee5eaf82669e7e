package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.calib.LayerStats;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.MoeOverride;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * HodgeCover (arXiv 2605.13997, methods.md §4): per MoE layer, merge barriers of expert pairs and candidate triplets, the
 * 2-complex at the filtration value maximizing β1, the Hodge decomposition of the barrier cochain, and a greedy cover of
 * harmonic-critical edges and triplet-critical triangles weighted by REAP saliency; pruned experts are redirected to
 * the survivor with the smallest harmonic-weighted barrier (redirect semantics). Subclasses are the §4.9 ablations.
 */
public class HodgeCoverCompressor implements Compressor {
    private final String name;
    private final HodgeParams.Variant variant;
    private final String description;

    public HodgeCoverCompressor() {
        this("hodgecover", HodgeParams.Variant.HODGECOVER,
                "HodgeCover: cover harmonic-critical edges and triplet-critical triangles of the merge-barrier complex");
    }

    protected HodgeCoverCompressor(String name, HodgeParams.Variant variant, String description) {
        this.name = name;
        this.variant = variant;
        this.description = description;
    }

    /** Plans depend on the barrier computation (methods.md §4.2, §4.4): its version is part of the compressor's. */
    @Override
    public String version() {
        return "2-barriers" + BarrierSettings.VERSION;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.real("p", 0.10, 1e-9, 1.0, "fraction of K's edges that are critical (by |harm|)"),
                OptionSpec.real("q", 0.20, 1e-9, 1.0, "fraction of K's faces that are critical (by triplet barrier)"),
                OptionSpec.real("lambda_e", 1.0, 0.0, null, "weight of newly hit critical edges"),
                OptionSpec.real("lambda_t", 1.0, 0.0, null, "weight of newly hit critical faces"),
                OptionSpec.real("alpha", 1.0, 0.0, null, "weight of |harm| in the redirect cost"),
                OptionSpec.integer("steps", 80, 2, null, "filtration grid points"),
                OptionSpec.integer("triangle_cap", 500, 0, null, "candidate triangles kept per layer"),
                OptionSpec.integer("candidate_seed", 0, 0, null, "seed of the candidate-triangle sample"),
                OptionSpec.real("triangle_quantile", 0.5, 1e-9, 1.0,
                        "candidate triangles: 3-cliques of the pairs at most this quantile of the pair barriers (0.5: the median)"),
                OptionSpec.choice("kl", "forward", List.of("forward", "reverse"),
                        "barrier divergence: KL(p_orig || p_merged) (forward) or KL(p_merged || p_orig) (reverse)"),
                OptionSpec.choice("barrier", "full", List.of("full", "local"),
                        "KL at the model output (full) or through the final norm and head at the layer (local)"),
                OptionSpec.integer("barrier_tokens", 0, 0, null, "calibration tokens used for barriers; 0 = all"),
                OptionSpec.integer("barrier_batch_tokens", 4096, 16, null, "tokens per forward batch while measuring barriers"),
                OptionSpec.integer("barrier_memory", 0, 0, null,
                        "memory budget of the barrier computation in MiB; 0 = half the memory available (values do not depend on it)"),
                OptionSpec.choice("apply", "redirect", List.of("redirect", "drop"),
                        "pruned experts are served by their redirect target (redirect) or removed from the router (drop)"),
                OptionSpec.choice("redirect_gates", "sum", List.of("sum", "max", "renormalize"),
                        "redirect: two top-k slots sent to one survivor add their gates (sum), keep the larger (max), or the"
                                + " first is kept and the token's gates rescaled to their top-k total (renormalize)"),
                OptionSpec.choice("saliency", "reap", SALIENCY_SCORERS,
                        "the per-expert score used as sal(e) in the greedy gain (reap: REAP's S(1,1,1))"),
                OptionSpec.choice("saliency_scale", "sum", List.of("sum", "max", "raw"),
                        "how sal(e) is scaled against the coverage terms: to sum 1 (sum), to max 1 (max), or as computed (raw)"),
                OptionSpec.choice("grid", "min-median", List.of("min-median", "zero-1.1max"),
                        "filtration range: minimum to median pair barrier, or 0 to 1.1 x the largest (the precursor code's)"),
                OptionSpec.choice("cover", "hit", List.of("hit", "all"),
                        "a critical edge or face is covered when one of its vertices is kept (hit) or all of them (all)"),
                OptionSpec.choice("complex", "filtration", List.of("filtration", "complete"),
                        "decompose on K at tau* (filtration) or on all pairs with the triangles whose b_ijk <= tau* (complete)"));
    }

    /** The scores {@code saliency=} may name (score-based compressors of methods.md §3). */
    static final List<String> SALIENCY_SCORERS = List.of("reap", "frequency", "soft-frequency", "ean", "man");

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        // frequencies for merges, REAP saliency, the barriers themselves (and another score's statistics if chosen)
        Set<CalibrationStatistic> s = new java.util.LinkedHashSet<>(
                List.of(RoutingStatistics.ROUTING, RoutingStatistics.OUTPUT_NORMS, new BarrierStatistic(settings(options))));
        ExpertScorer scorer = scorer(options);
        if (scorer != null) {
            s.addAll(scorer.statistics(Options.parse(scorer.name(), scorer.options(), Map.of())));
        }
        return s;
    }

    /** The scorer {@code saliency=} names, or null for REAP's score as computed here. */
    static ExpertScorer scorer(Options o) {
        String name = o.getString("saliency");
        if (name.equals("reap")) {
            return null;
        }
        Compressor c = dev.moefrontier.harness.compress.CompressorCatalog.shared().get(name);
        if (!(c instanceof ExpertScorer es)) {
            throw new IllegalArgumentException("saliency=" + name + " is not a score-based compressor");
        }
        return es;
    }

    /** Barrier settings from the options. */
    static BarrierSettings settings(Options o) {
        return new BarrierSettings(MergeBarriers.Mode.valueOf(o.getString("barrier").toUpperCase(Locale.ROOT)),
                o.getInt("barrier_tokens"), o.getInt("triangle_cap"), o.getInt("candidate_seed"), o.getInt("barrier_batch_tokens"),
                (long) o.getInt("barrier_memory") << 20, o.getDouble("triangle_quantile"), o.getString("kl").equals("reverse"));
    }

    static HodgeParams params(Options o, HodgeParams.Variant v) {
        return new HodgeParams(o.getInt("steps"), o.getDouble("p"), o.getDouble("q"), o.getDouble("lambda_e"),
                o.getDouble("lambda_t"), o.getDouble("alpha"), v,
                HodgeParams.SaliencyScale.valueOf(o.getString("saliency_scale").toUpperCase(Locale.ROOT)),
                o.getString("grid").equals("zero-1.1max") ? HodgeParams.Grid.ZERO_1_1MAX : HodgeParams.Grid.MIN_MEDIAN,
                HodgeParams.Cover.valueOf(o.getString("cover").toUpperCase(Locale.ROOT)),
                HodgeParams.Complex.valueOf(o.getString("complex").toUpperCase(Locale.ROOT)));
    }

    /** sal(e): the REAP score S(1, 1, 1) of methods.md §3 (normalized to sum 1 by the selection). */
    static double[] saliency(LayerStats s) {
        double[] sal = new double[s.experts()];
        for (int e = 0; e < sal.length; e++) {
            sal[e] = s.count(e) == 0 ? 0 : s.moment(1, 1, e) / s.count(e);
        }
        return sal;
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        int e = ctx.config().moe().numExperts();
        int keep = e - ctx.pruneCount(ratio);
        HodgeParams params = params(options, variant);
        Map<Integer, LayerBarriers> barriers = BarrierStatistic.barriers(ctx, settings(options));
        ExpertScorer scorer = scorer(options);
        Map<Integer, double[]> scores = scorer == null ? null
                : scorer.scores(ctx, Options.parse(scorer.name(), scorer.options(), Map.of()));
        List<LayerPlan> layers = new ArrayList<>();
        PlanFigures.Builder figures = PlanFigures.builder();
        Map<Integer, Double> margins = new LinkedHashMap<>();
        for (Map.Entry<Integer, LayerBarriers> en : barriers.entrySet()) {
            int l = en.getKey();
            double[] sal = scores == null ? saliency(ctx.stats().layer(l)) : scores.get(l);
            HodgeResult r = HodgeCover.run(en.getValue().input(sal, keep), params);
            int[] target = new int[e];
            for (int x = 0; x < e; x++) {
                target[x] = r.selection().redirect().getOrDefault(x, x);
            }
            layers.add(LayerPlan.of(l, e, r.selection().selected(), target, List.of()));
            margins.put(l, r.selection().margin());
            figures.layer("tau_star", l, r.filtration().tauStar()).layer("betti1", l, r.filtration().betti1())
                    .layer("harmonic_energy_fraction", l, r.decomposition().harmonicEnergyFraction()).layer("balance", l, r.balance());
        }
        PruningPlan.Mode mode = options.getString("apply").equals("drop") ? PruningPlan.Mode.DROP : PruningPlan.Mode.REDIRECT;
        return new PruningPlan(name, options.asMap(), ratio, mode, layers, null, Map.of("barrier", options.getString("barrier")))
                .withMargins(margins).withFigures(figures.build())
                .withDuplicateGates(MoeOverride.DuplicateGates.valueOf(options.getString("redirect_gates").toUpperCase(Locale.ROOT)));
    }

    /** §4.9: λt = 0. */
    public static final class NoTriangle extends HodgeCoverCompressor {
        public NoTriangle() {
            super("hodgecover-no-triangle", HodgeParams.Variant.NO_TRIANGLE, "HodgeCover ablation: no triangle term (lambda_t = 0)");
        }
    }

    /** §4.9: critical edges by raw barrier, no Hodge decomposition in the cover. */
    public static final class TripletPenalty extends HodgeCoverCompressor {
        public TripletPenalty() {
            super("hodgecover-triplet-penalty", HodgeParams.Variant.TRIPLET_PENALTY,
                    "HodgeCover ablation: critical edges by raw pair barrier instead of |harm|");
        }
    }

    /** §4.9: hard veto on completing a critical triangle. */
    public static final class TripletHypergraph extends HodgeCoverCompressor {
        public TripletHypergraph() {
            super("hodgecover-triplet-hypergraph", HodgeParams.Variant.TRIPLET_HYPERGRAPH,
                    "HodgeCover ablation: never complete a critical triangle unless nothing else is left");
        }
    }

    /** §4.9: pairwise only, from all experts down. */
    public static final class GreedyBarrier extends HodgeCoverCompressor {
        public GreedyBarrier() {
            super("greedy-barrier", HodgeParams.Variant.GREEDY_BARRIER,
                    "HodgeCover ablation: repeatedly prune the expert with the smallest barrier to a survivor");
        }
    }
}
