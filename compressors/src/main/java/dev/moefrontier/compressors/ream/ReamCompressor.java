package dev.moefrontier.compressors.ream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.calib.StatsCollector;
import dev.moefrontier.harness.compress.AppliedPlan;
import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.Decisions;
import dev.moefrontier.harness.compress.ExpertMerge;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TokenBatch;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.util.Progress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * REAM (arXiv 2604.04356; reference code SamsungSAILMontreal/ream), methods.md §7: per MoE layer, the keep most salient
 * experts become centroids, each absorbs up to C − 1 nearest other experts (REAM distance on gated output signatures and
 * router logits), every group is merged into its centroid by a saliency-weighted average after aligning each member's
 * neurons to the centroid's (optimal assignment on activation + weight-feature costs); the centroids' router rows stay,
 * the others are dropped (drop semantics, top-k unchanged). Sequential by default: layer l's statistics come from hidden
 * states that went through the already merged layers 0..l−1.
 */
public final class ReamCompressor implements Compressor {
    static final List<String> MERGING = List.of("logits+weights", "weights", "logits", "avg", "none");

    @Override
    public String name() {
        return "ream";
    }

    @Override
    public String description() {
        return "REAM: salient centroids absorb their nearest experts, neuron-aligned saliency-weighted merge (drop semantics)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.integer("group_size", 16, 1, 4096, "C: most experts merged into one centroid (the centroid included)"),
                OptionSpec.choice("merging", "logits+weights", MERGING, "alignment cost and average: activation+weight"
                        + " costs, one of them, plain average without alignment, or none (keep the centroids only)"),
                OptionSpec.bool("gated_sim", true, "signatures and saliency from p_e f_e (the reference; false: f_e)"),
                OptionSpec.bool("use_gate_output", true, "distance includes the router-logit term S_gate"),
                OptionSpec.bool("sequential", true, "statistics of layer l after merging layers < l"),
                OptionSpec.bool("shared_sample", false, "one activation sample for all experts (the reference draws one per expert)"),
                OptionSpec.integer("act_samples", 512, 0, 1 << 20, "sampled positions per expert for the activation cost"),
                OptionSpec.integer("saliency_chunk", 0, 0, 1 << 20, "0: means over all positions; c: mean of per-chunk means over"
                        + " chunks of c sequences (the reference code: 8)"),
                OptionSpec.integer("pca_dim", 64, 1, 4096, "principal components of the weight features"),
                OptionSpec.integer("sample_seed", 42, 0, Integer.MAX_VALUE, "seed of the activation sample"));
    }

    /** The settings of one run. */
    record Settings(int groupSize, String merging, boolean gated, boolean useGate, boolean sequential, ReamSignals signals,
            WeightFeatures features) {
        static Settings of(Options o) {
            boolean sequential = o.getBool("sequential");
            ReamSignals s = new ReamSignals(o.getBool("gated_sim"), o.getInt("saliency_chunk"), o.getInt("act_samples"),
                    o.getBool("shared_sample"), o.getInt("sample_seed"), sequential);
            return new Settings(o.getInt("group_size"), o.getString("merging"), o.getBool("gated_sim"), o.getBool("use_gate_output"),
                    sequential, s, new WeightFeatures(o.getInt("pca_dim")));
        }

        boolean aligns() {
            return merging.equals("logits+weights") || merging.equals("weights") || merging.equals("logits");
        }

        /** Whether the alignment cost has the weight-feature term. */
        boolean usesWeightFeatures() {
            return aligns() && !merging.equals("logits");
        }

        /** Whether the alignment cost has the activation term. */
        boolean usesActivations() {
            return aligns() && !merging.equals("weights");
        }
    }

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        Settings s = Settings.of(options);
        Set<CalibrationStatistic> out = new LinkedHashSet<>(List.of(RoutingStatistics.ROUTING, s.signals()));
        if (s.usesWeightFeatures()) {
            out.add(s.features());
        }
        return out;
    }

    @Override
    public void check(ModelConfig cfg, double ratio, Options options) {
        int e = cfg.moe().numExperts();
        int keep = e - Budget.pruneCount(ratio, e, cfg.moe().topK());
        int c = options.getInt("group_size");
        if ((long) keep * c < e) { // the reference's guard is k < E // C; a group map must also cover every expert
            throw new IllegalArgumentException("ream: keeping " + keep + " of " + e + " experts in groups of at most " + c
                    + " cannot cover every expert (needs keep x group_size >= " + e + "); lower the ratio or raise group_size");
        }
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        check(ctx.config(), ratio, options);
        Settings s = Settings.of(options);
        ModelConfig cfg = ctx.config();
        int e = cfg.moe().numExperts();
        int keep = e - ctx.pruneCount(ratio);
        List<LayerPlan> layers = new ArrayList<>();
        PlanFigures.Builder figures = PlanFigures.builder().number("groups_per_layer", keep);
        ctx = ctx.withStats(ctx.stats(statistics(options)));
        if (!s.sequential()) {
            for (int l : cfg.moeLayers()) {
                layers.add(layer(ctx, l, s.signals().of(ctx.stats(), l), s, keep, figures));
            }
        } else {
            sequential(ctx, s, keep, layers, figures);
        }
        return new PruningPlan(name(), options.asMap(), ratio, PruningPlan.Mode.DROP, layers, null, Map.of())
                .withFigures(figures.build());
    }

    /** Wall time of the alignment steps, for the benchmark. */
    static final class Timing {
        long costs;
        long assignment;
    }

    /** Layer by layer: statistics of layer l with layers < l merged (layer 0's from the cached dense pass), then advance. */
    private void sequential(CompressionContext ctx, Settings s, int keep, List<LayerPlan> layers, PlanFigures.Builder figures) {
        MoeTransformer model = ctx.model();
        ModelConfig cfg = ctx.config();
        List<TokenBatch> batches = TokenBatch.pack(ctx.data().windows(), BATCH_TOKENS);
        int first = cfg.moeLayers().get(0);
        int last = cfg.moeLayers().get(cfg.moeLayers().size() - 1);
        ReamSignals all = s.signals().allLayers();
        try (MoeTransformer.LayerCursor cursor = model.cursor(batches);
                Progress p = Progress.start("ream (sequential)", cfg.moeLayers().size(), "layers")) {
            while (cursor.next() <= last) {
                int l = cursor.next();
                if (cfg.moeLayers().contains(l)) {
                    ReamSignals.Layer stats;
                    if (l == first) {
                        stats = s.signals().of(ctx.stats(), l); // the dense prefix: cached, shared by every ratio
                    } else {
                        StatsCollector collector = new StatsCollector(cfg, List.of(RoutingStatistics.ROUTING, all));
                        try (AppliedPlan prefix = new AppliedPlan(model, partial(layers))) {
                            cursor.peek(prefix, collector);
                        }
                        stats = all.of(collector.result(Map.of()), l);
                    }
                    layers.add(layer(ctx, l, stats, s, keep, figures));
                    p.step(1);
                }
                if (l == last) {
                    break; // nothing after the last MoE layer changes a decision
                }
                try (AppliedPlan applied = new AppliedPlan(model, partial(layers))) {
                    cursor.advance(applied, ForwardObserver.NONE);
                }
            }
        }
    }

    /**
     * Sequential: a forward of the calibration windows with every expert run on every position of each MoE layer (the
     * signals of §7), i.e. E/k times the routed experts' cost on top of the forward.
     */
    @Override
    public double estimatedPlanFlops(dev.moefrontier.harness.model.ModelConfig config, double ratio, Options options, long calibrationTokens,
            int windowLength) {
        if (!options.getBool("sequential")) {
            return 0;
        }
        double allExperts = config.moeLayers().size() * config.moe().numExperts() * dev.moefrontier.harness.model.Flops.expertPerToken(config);
        return calibrationTokens * (dev.moefrontier.harness.model.Flops.forwardPerToken(config, windowLength) + allExperts);
    }

    /** Tokens per batch of the sequential passes (windows are never split). */
    static final int BATCH_TOKENS = 4096;

    private PruningPlan partial(List<LayerPlan> layers) {
        return new PruningPlan(name(), Map.of(), 0, PruningPlan.Mode.DROP, layers, null, Map.of());
    }

    /** One layer's plan from its statistics. */
    LayerPlan layer(CompressionContext ctx, int l, ReamSignals.Layer st, Settings s, int keep, PlanFigures.Builder figures) {
        int e = st.saliency().length;
        double[] sal = ReamGrouping.saliency(st.saliency(), l);
        double[][] d = ReamGrouping.distance(st.signature(), st.logitGram(), s.useGate());
        int[] centroids = ReamGrouping.centroids(sal, keep);
        int[] group = ReamGrouping.groups(d, centroids, s.groupSize());
        List<ExpertMerge> merges = new ArrayList<>();
        if (!s.merging().equals("none")) {
            double[][][] wf = s.usesWeightFeatures()
                    ? WeightFeatures.of(ctx.stats(), s.features(), l, e, ctx.config().moe().intermediate()) : null;
            double[][][] profiles = s.usesActivations() ? profiles(st.activations(), ctx.config().moe().intermediate())
                    : null;
            for (int c : centroids) {
                int[] members = java.util.stream.IntStream.range(0, e).filter(i -> group[i] == c).toArray();
                if (members.length < 2) {
                    continue;
                }
                double[] w = new double[members.length];
                double total = 0;
                for (int m : members) {
                    total += sal[m];
                }
                for (int i = 0; i < members.length; i++) {
                    w[i] = s.merging().equals("avg") ? 1.0 / members.length : sal[members[i]] / total;
                }
                int[][] alignment = null;
                if (s.aligns()) {
                    alignment = new int[members.length][];
                    for (int i = 0; i < members.length; i++) {
                        alignment[i] = members[i] == c ? identity(ctx.config().moe().intermediate())
                                : align(profiles, wf, c, members[i], ctx.model().manager(), null);
                    }
                }
                merges.add(new ExpertMerge(c, members, w, alignment));
            }
        }
        List<Integer> sizes = ReamGrouping.sizes(group);
        figures.layer("largest_group", l, sizes.get(0));
        figures.layer("merged_groups", l, sizes.stream().filter(x -> x > 1).count());
        return LayerPlan.of(l, e, centroids, group, merges);
    }

    /** Neuron profiles per expert: [E][I][n], each unit-normalized when n > 1 (as the reference code). */
    static double[][][] profiles(double[][][] act, int inter) {
        int e = act.length;
        int n = act[0].length;
        double[][][] out = new double[e][inter][n];
        for (int x = 0; x < e; x++) {
            for (int i = 0; i < inter; i++) {
                double norm = 0;
                for (int t = 0; t < n; t++) {
                    out[x][i][t] = act[x][t][i];
                    norm += act[x][t][i] * act[x][t][i];
                }
                if (n > 1) {
                    double inv = 1 / (Math.sqrt(norm) + 1e-8);
                    for (int t = 0; t < n; t++) {
                        out[x][i][t] *= inv;
                    }
                }
            }
        }
        return out;
    }

    /**
     * The permutation of {@code member}'s neurons into {@code centroid}'s order: the optimal assignment of cost[i][j] =
     * ||â_c,i − â_m,j|| + ||P̂_c,i − P̂_m,j|| (the terms the merging option selects), compared on the §10 grid.
     */
    static int[] align(double[][][] profiles, double[][][] features, int centroid, int member, NDManager parent, Timing timing) {
        long t0 = System.nanoTime();
        double[][] cost = null;
        try (NDManager m = parent.newSubManager()) {
            for (double[][][] f : new double[][][][] {profiles, features}) {
                if (f == null) {
                    continue;
                }
                double[][] c = cdist(f[centroid], f[member], m);
                if (cost == null) {
                    cost = c;
                } else {
                    for (int i = 0; i < c.length; i++) {
                        for (int j = 0; j < c.length; j++) {
                            cost[i][j] += c[i][j];
                        }
                    }
                }
            }
        }
        cost = Decisions.snap(cost, Decisions.MODEL_VALUES);
        long t1 = System.nanoTime();
        int[] perm = LinearAssignment.solve(cost);
        if (timing != null) {
            timing.costs += t1 - t0;
            timing.assignment += System.nanoTime() - t1;
        }
        return perm;
    }

    /** Euclidean distances between the rows of a [n][k] and b [n][k], in float64 on the engine. */
    static double[][] cdist(double[][] a, double[][] b, NDManager m) {
        int n = a.length;
        int k = a[0].length;
        double[] fa = new double[n * k];
        double[] fb = new double[b.length * k];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, fa, i * k, k);
        }
        for (int i = 0; i < b.length; i++) {
            System.arraycopy(b[i], 0, fb, i * k, k);
        }
        double[] dot;
        try (NDArray x = m.create(fa, new Shape(n, k)); NDArray y = m.create(fb, new Shape(b.length, k)); NDArray g = x.matMul(y.transpose())) {
            dot = g.toDoubleArray();
        }
        double[] na = new double[n];
        double[] nb = new double[b.length];
        for (int i = 0; i < n; i++) {
            na[i] = ReamGrouping.dot(a[i], a[i]);
        }
        for (int j = 0; j < b.length; j++) {
            nb[j] = ReamGrouping.dot(b[j], b[j]);
        }
        double[][] out = new double[n][b.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < b.length; j++) {
                out[i][j] = Math.sqrt(Math.max(0, na[i] + nb[j] - 2 * dot[i * b.length + j]));
            }
        }
        return out;
    }

    static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }
}
