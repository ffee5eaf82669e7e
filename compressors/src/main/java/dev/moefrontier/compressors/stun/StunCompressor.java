package dev.moefrontier.compressors.stun;

import ai.djl.ndarray.NDArray;
import dev.moefrontier.harness.calib.RoutingStatistics;
import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.Decisions;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.OptionSpec;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.compress.PlanFigures;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.model.HostArrays;
import dev.moefrontier.harness.model.LayerWeights;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.spi.CalibrationStatistic;
import dev.moefrontier.harness.spi.Compressor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * STUN stage 1 (arXiv 2409.06211; reference code thnkinbtfly/STUN, {@code merge_weight.py}), methods.md §8: per layer a
 * distance between experts (co-activation or router weights), the greedy clustering with its rejection rule, and each
 * cluster keeps its member closest to the cluster's mean weights; the others and their router rows are dropped (drop
 * semantics, top-k unchanged). {@code budget=uniform}: τ = +inf and exactly m merges per layer; {@code budget=global}: one
 * τ for all layers, searched so the total kept equals the uniform total (per-layer counts then differ and are reported).
 */
public final class StunCompressor implements Compressor {
    @Override
    public String name() {
        return "stun";
    }

    @Override
    public String description() {
        return "STUN stage 1: greedy clustering on co-activation (or router) distance, keep the member nearest each cluster mean";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.choice("distance", "coactivation", List.of("coactivation", "router"),
                        "coactivation: d = -A / |mean A|; router: ||w_i - w_j|| / ||W_r||_F (no data)"),
                OptionSpec.choice("coactivation_topk", "2", List.of("2", "model"), "experts per token counted as co-active"
                        + " (the reference code: 2)"),
                OptionSpec.bool("divide_mean", true, "divide -A by |mean A| (the reference's --divide_mean, as its README runs)"),
                OptionSpec.real("mix_weight", 0, 0.0, 1e6, "> 0: d = mix_weight * (-A / |mean A|) + ||w_i - w_j|| (the reference's"
                        + " mixed distance)"),
                OptionSpec.choice("budget", "uniform", List.of("uniform", "layer", "global"), "uniform: m merges per layer"
                        + " (tau = +inf); layer: each layer's own threshold keeping E - m (the rejection rule acts); global: one"
                        + " threshold over all layers hitting the total"));
    }

    private static Coactivation coactivation(Options o) {
        return new Coactivation(o.getString("coactivation_topk").equals("model"));
    }

    @Override
    public Set<CalibrationStatistic> statistics(Options options) {
        if (options.getString("distance").equals("router")) {
            return Set.of();
        }
        return Set.of(RoutingStatistics.ROUTING, coactivation(options));
    }

    @Override
    public PruningPlan plan(CompressionContext ctx, double ratio, Options options) {
        ModelConfig cfg = ctx.config();
        int e = cfg.moe().numExperts();
        int m = ctx.pruneCount(ratio);
        List<Integer> moe = cfg.moeLayers();
        if (!statistics(options).isEmpty()) {
            ctx = ctx.withStats(ctx.stats(statistics(options)));
        }
        Map<Integer, double[][]> dist = new LinkedHashMap<>();
        for (int l : moe) {
            dist.put(l, distance(ctx, l, options));
        }
        boolean global = options.getString("budget").equals("global");
        // §10: one grid for all values compared; with a global threshold that is every layer's distances
        double maxAbs = 0;
        for (double[][] d : dist.values()) {
            for (double[] row : d) {
                maxAbs = Math.max(maxAbs, Decisions.maxAbs(row));
            }
        }
        double unit = Decisions.unit(Decisions.MODEL_VALUES, maxAbs);
        Map<Integer, StunClustering> clustering = new LinkedHashMap<>();
        for (int l : moe) {
            double[][] d = dist.get(l);
            double u = global ? unit : Decisions.unit(Decisions.MODEL_VALUES, maxAbsOf(d));
            clustering.put(l, new StunClustering(snap(d, u)));
        }
        Map<Integer, int[]> labels = new LinkedHashMap<>();
        PlanFigures.Builder figures = PlanFigures.builder();
        if (options.getString("budget").equals("uniform")) {
            for (int l : moe) {
                labels.put(l, clustering.get(l).clusters(Double.POSITIVE_INFINITY, m));
            }
        } else if (options.getString("budget").equals("layer")) {
            // tau = +inf never rejects (single linkage, whose clusters chain); a finite per-layer threshold makes the
            // rejection rule bound them, as the reference's finite thresholds do
            for (int l : moe) {
                Map<Integer, int[]> one = new LinkedHashMap<>();
                double tau = globalThreshold(new LinkedHashMap<>(Map.of(l, clustering.get(l))), e - m, m, one);
                labels.put(l, one.get(l));
                figures.layer("threshold", l, tau);
            }
        } else {
            double tau = globalThreshold(clustering, moe.size() * (e - m), e - cfg.moe().topK(), labels);
            figures.number("threshold", tau);
        }
        List<LayerPlan> layers = new ArrayList<>();
        for (int l : moe) {
            int[] rep = representatives(ctx, l, labels.get(l));
            int[] kept = java.util.Arrays.stream(rep).distinct().sorted().toArray();
            figures.layer("kept", l, kept.length);
            int[] size = new int[e];
            for (int x : rep) {
                size[x]++;
            }
            figures.layer("largest_cluster", l, java.util.Arrays.stream(size).max().orElse(0));
            layers.add(LayerPlan.of(l, e, kept, rep, List.of()));
        }
        return new PruningPlan(name(), options.asMap(), ratio, PruningPlan.Mode.DROP, layers, null, Map.of()).withFigures(figures.build());
    }

    private static double maxAbsOf(double[][] d) {
        double m = 0;
        for (double[] row : d) {
            m = Math.max(m, Decisions.maxAbs(row));
        }
        return m;
    }

    private static double[][] snap(double[][] d, double unit) {
        double[][] out = new double[d.length][d.length];
        for (int i = 0; i < d.length; i++) {
            for (int j = 0; j < d.length; j++) {
                out[i][j] = unit > 0 ? Math.rint(d[i][j] / unit) * unit : 0;
            }
        }
        return out;
    }

    /** The layer's distance matrix (methods.md §8.1); the diagonal is ignored by the clustering. */
    double[][] distance(CompressionContext ctx, int l, Options o) {
        boolean router = o.getString("distance").equals("router");
        double mix = o.getDouble("mix_weight");
        double[][] w = router || mix > 0 ? routerRows(ctx, l) : null;
        int e = ctx.config().moe().numExperts();
        double[][] d = new double[e][e];
        if (router) {
            double fro = 0;
            for (double[] row : w) {
                for (double x : row) {
                    fro += x * x;
                }
            }
            fro = Math.sqrt(fro);
            for (int i = 0; i < e; i++) {
                for (int j = 0; j < e; j++) {
                    d[i][j] = l2(w[i], w[j]) / (fro > 0 ? fro : 1);
                }
            }
            return d;
        }
        double[][] a = coactivation(o).of(ctx.stats(), l);
        double mean = 0;
        for (double[] row : a) {
            for (double x : row) {
                mean += x;
            }
        }
        mean /= (double) e * e; // over all E² entries, the zero diagonal included (the reference code)
        double scale = o.getBool("divide_mean") && mean != 0 ? Math.abs(mean) : 1;
        for (int i = 0; i < e; i++) {
            for (int j = 0; j < e; j++) {
                d[i][j] = -a[i][j] / scale;
                if (mix > 0) {
                    d[i][j] = mix * d[i][j] + l2(w[i], w[j]);
                }
            }
        }
        return d;
    }

    private static double[][] routerRows(CompressionContext ctx, int l) {
        LayerWeights lw = ctx.model().weights().acquire(l);
        try {
            NDArray r = lw.moe().routerT(); // [H, E]
            int h = (int) r.getShape().get(0);
            int e = (int) r.getShape().get(1);
            float[] f = HostArrays.floats(r);
            double[][] w = new double[e][h];
            for (int t = 0; t < h; t++) {
                for (int i = 0; i < e; i++) {
                    w[i][t] = f[t * e + i];
                }
            }
            return w;
        } finally {
            ctx.model().weights().release(lw);
        }
    }

    /**
     * One threshold for every layer (methods.md §8.3): all layers' entries are ranked together by (value, layer, row,
     * column) and the threshold admits a prefix of that order; the smallest prefix whose clustering keeps at most
     * {@code target} experts in total is found by binary search (the total does not grow as entries are admitted) and
     * must keep exactly {@code target}. Ties at the threshold are thus admitted in index order, where the reference code
     * (a real-valued τ) could only admit all of them at once and then fails to find its target. Returns the value of
     * the last admitted entry.
     */
    static double globalThreshold(Map<Integer, StunClustering> clustering, int target, int maxMerges, Map<Integer, int[]> labels) {
        List<Integer> layers = new ArrayList<>(clustering.keySet());
        List<long[]> all = new ArrayList<>(); // {layer index, k}
        for (int li = 0; li < layers.size(); li++) {
            long[] entries = clustering.get(layers.get(li)).entries();
            for (int k = 0; k < entries.length; k++) {
                all.add(new long[] {li, k, entries[k]});
            }
        }
        all.sort((a, b) -> {
            int c = Double.compare(clustering.get(layers.get((int) a[0])).value(a[2]), clustering.get(layers.get((int) b[0])).value(b[2]));
            return c != 0 ? c : a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[2], b[2]);
        });
        long[][] ranks = new long[layers.size()][];
        for (int li = 0; li < layers.size(); li++) {
            ranks[li] = new long[clustering.get(layers.get(li)).entries().length];
        }
        for (int r = 0; r < all.size(); r++) {
            ranks[(int) all.get(r)[0]][(int) all.get(r)[1]] = r;
        }
        for (int li = 0; li < layers.size(); li++) {
            clustering.get(layers.get(li)).rank(ranks[li]);
        }
        long lo = 0;
        long hi = all.size();
        if (kept(clustering, hi, maxMerges, null) > target) {
            throw new IllegalArgumentException("stun: even admitting every pair keeps more than " + target
                    + " experts in total (each layer keeps at least top_k)");
        }
        while (lo < hi) { // smallest prefix with kept <= target
            long mid = (lo + hi) >>> 1;
            if (kept(clustering, mid, maxMerges, null) <= target) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        for (long cut = Math.max(0, lo - 8); cut <= Math.min(all.size(), lo + 8); cut++) { // should the count not be monotone
            if (kept(clustering, cut, maxMerges, null) == target) {
                kept(clustering, cut, maxMerges, labels);
                long[] last = all.get((int) Math.max(0, cut - 1));
                return clustering.get(layers.get((int) last[0])).value(last[2]);
            }
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "stun: no threshold keeps exactly %d experts in total"
                + " (admitting %d pairs keeps %d, one fewer keeps %d); use budget=uniform or another ratio", target, lo,
                kept(clustering, lo, maxMerges, null), lo > 0 ? kept(clustering, lo - 1, maxMerges, null) : -1));
    }

    private static int kept(Map<Integer, StunClustering> clustering, long cut, int maxMerges, Map<Integer, int[]> labels) {
        int total = 0;
        for (Map.Entry<Integer, StunClustering> c : clustering.entrySet()) {
            int[] lab = c.getValue().clustersBelowRank(cut, maxMerges);
            total += StunClustering.count(lab);
            if (labels != null) {
                labels.put(c.getKey(), lab);
            }
        }
        return total;
    }

    /**
     * Per expert, the kept member of its cluster: the one closest (L2 over gate, up and down concatenated) to the cluster's
     * mean weights, on the §10 grid, ties to the lower index (methods.md §8.4).
     */
    static int[] representatives(CompressionContext ctx, int l, int[] labels) {
        int e = labels.length;
        int[] rep = new int[e];
        LayerWeights lw = ctx.model().weights().acquire(l);
        try {
            for (int root = 0; root < e; root++) {
                final int r = root;
                int[] members = java.util.stream.IntStream.range(0, e).filter(i -> labels[i] == r).toArray();
                if (members.length == 0) {
                    continue;
                }
                int chosen = members[0];
                if (members.length > 1) {
                    float[][] w = new float[members.length][];
                    for (int i = 0; i < members.length; i++) {
                        float[] gu = HostArrays.floats(lw.moe().gateUpT().get(members[i]));
                        float[] dn = HostArrays.floats(lw.moe().downT().get(members[i]));
                        w[i] = new float[gu.length + dn.length];
                        System.arraycopy(gu, 0, w[i], 0, gu.length);
                        System.arraycopy(dn, 0, w[i], gu.length, dn.length);
                    }
                    double[] mean = new double[w[0].length];
                    for (float[] x : w) {
                        for (int t = 0; t < mean.length; t++) {
                            mean[t] += x[t];
                        }
                    }
                    for (int t = 0; t < mean.length; t++) {
                        mean[t] /= members.length;
                    }
                    double[] dist = new double[members.length];
                    for (int i = 0; i < members.length; i++) {
                        double s = 0;
                        for (int t = 0; t < mean.length; t++) {
                            double diff = w[i][t] - mean[t];
                            s += diff * diff;
                        }
                        dist[i] = Math.sqrt(s);
                    }
                    chosen = members[Decisions.argmin(dist, Decisions.MODEL_VALUES)];
                }
                for (int i : members) {
                    rep[i] = chosen;
                }
            }
        } finally {
            ctx.model().weights().release(lw);
        }
        return rep;
    }

    private static double l2(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double x = a[i] - b[i];
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
