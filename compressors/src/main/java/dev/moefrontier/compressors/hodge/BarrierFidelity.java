package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.compress.CompressionContext;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.util.Csv;
import dev.moefrontier.harness.util.Overlap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How far local barriers stand in for full ones (methods.md §4.2 asks for their rank correlation): per MoE layer,
 * Spearman's ρ between the two pair-barrier sets over all pairs, and for each ratio the Jaccard overlap of the kept
 * sets HodgeCover chooses from each (same selection parameters, REAP saliency). Written as
 * {@code barrier_fidelity.csv} when a sweep has HodgeCover-family cells of both barrier modes.
 */
final class BarrierFidelity {
    static final String[] HEADER = {"backbone", "layer", "full_options", "local_options", "pair_spearman", "ratio", "kept_jaccard"};

    private BarrierFidelity() {}

    /** The CSV rows (header first) comparing the barriers of {@code full} and {@code local} options at {@code ratios}. */
    static String csv(String backbone, CompressionContext ctx, Options full, Options local, String fullText, String localText,
            Set<Double> ratios) {
        Map<Integer, LayerBarriers> bf = BarrierStatistic.barriers(ctx, HodgeCoverCompressor.settings(full));
        Map<Integer, LayerBarriers> bl = BarrierStatistic.barriers(ctx, HodgeCoverCompressor.settings(local));
        HodgeParams params = HodgeCoverCompressor.params(full, HodgeParams.Variant.HODGECOVER);
        int e = ctx.config().moe().numExperts();
        StringBuilder sb = new StringBuilder(Csv.row((Object[]) HEADER));
        for (Map.Entry<Integer, LayerBarriers> en : bf.entrySet()) {
            int l = en.getKey();
            LayerBarriers a = en.getValue();
            LayerBarriers b = bl.get(l);
            double rho = PaperClaims.spearman(Filtration.upper(a.pairs()), Filtration.upper(b.pairs()));
            double[] sal = HodgeCoverCompressor.saliency(ctx.stats().layer(l));
            for (double r : ratios) {
                int keep = e - ctx.pruneCount(r);
                int[] ka = HodgeCover.run(a.input(sal, keep), params).selection().selected();
                int[] kb = HodgeCover.run(b.input(sal, keep), params).selection().selected();
                sb.append(Csv.row(backbone, l, fullText, localText, rho, r, Overlap.jaccard(ka, kb)));
            }
        }
        return sb.toString();
    }

    /** {@code barrier_fidelity.md}: per backbone the layer-mean ρ and, per ratio, the layer-mean Jaccard overlap. */
    static String markdown(List<Map<String, String>> rows) {
        StringBuilder sb = new StringBuilder("# Barrier fidelity\n\nLocal barriers against full ones (methods.md §4.2): Spearman's rho of"
                + " the pair barriers and the Jaccard overlap of the kept sets HodgeCover picks from each, means over layers.\n\n"
                + "| backbone | ratio | pair Spearman | kept Jaccard |\n| --- | ---: | ---: | ---: |\n");
        Map<String, Map<String, double[]>> agg = new java.util.LinkedHashMap<>();
        for (Map<String, String> r : rows) {
            double[] s = agg.computeIfAbsent(r.get("backbone"), k -> new java.util.TreeMap<>()).computeIfAbsent(r.get("ratio"), k -> new double[3]);
            s[0] += Double.parseDouble(r.get("pair_spearman"));
            s[1] += Double.parseDouble(r.get("kept_jaccard"));
            s[2]++;
        }
        agg.forEach((b, m) -> m.forEach((ratio, s) -> sb.append(String.format(java.util.Locale.ROOT, "| %s | %s | %.3f | %.3f |%n", b, ratio,
                s[0] / s[2], s[1] / s[2]))));
        return sb.toString();
    }
}
