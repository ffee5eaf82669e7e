package dev.moefrontier.harness.compress;

import dev.moefrontier.harness.spi.ExpertScorer;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.util.Csv;
import java.util.Map;

/**
 * The one {@code scores.csv} schema, for {@code frontier scores} and for sweeps:
 * {@code backbone,compressor,options,layer,expert,score,rank,tokens}. {@code rank} 1 is the most important expert
 * (pruned last) and E the first pruned, so at ratio r the experts with {@code rank > E - round(rE)} are pruned;
 * {@code tokens} is |X_e| (empty without calibration statistics).
 */
public final class ScoreTable {
    /** The header record. */
    public static final String HEADER = Csv.row("backbone", "compressor", "options", "layer", "expert", "score", "rank", "tokens");

    private ScoreTable() {}

    /**
     * The records of one scorer's scores (per layer, one score per expert), ranked by the scorer's own pruning order
     * (which refuses NaN/Inf, naming layer and expert).
     */
    public static String rows(String backbone, ExpertScorer scorer, Options options, Map<Integer, double[]> scores,
            CalibrationStats stats) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Integer, double[]> e : scores.entrySet()) {
            int[] order = scorer.pruneOrder(e.getKey(), e.getValue());
            int n = order.length;
            int[] rank = new int[n];
            for (int i = 0; i < n; i++) {
                rank[order[i]] = n - i; // pruned first = least important = rank E
            }
            boolean counted = stats != null && stats.layers().contains(e.getKey());
            for (int x = 0; x < n; x++) {
                sb.append(Csv.row(backbone, scorer.name(), options.canonical(), e.getKey(), x, e.getValue()[x], rank[x],
                        counted ? Long.toString(stats.layer(e.getKey()).count(x)) : ""));
            }
        }
        return sb.toString();
    }
}
