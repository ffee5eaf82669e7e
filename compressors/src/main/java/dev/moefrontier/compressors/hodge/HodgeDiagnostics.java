package dev.moefrontier.compressors.hodge;

import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.util.Csv;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hodge diagnostics of a model (methods.md §4.10): per layer the complex and decomposition of the barrier cochain
 * (harmonic energy fraction, β1 curve, τ*, edges, faces), and for the kept set of any plan, the retained mass of the
 * gradient, curl, harmonic and triplet components and their balance, per layer and averaged over layers.
 */
public final class HodgeDiagnostics {
    private final Map<Integer, HodgeCover.Complex> complexes = new LinkedHashMap<>();

    public HodgeDiagnostics(Map<Integer, LayerBarriers> barriers, CalibrationStats stats, HodgeParams params) {
        for (Map.Entry<Integer, LayerBarriers> e : barriers.entrySet()) {
            double[] sal = HodgeCoverCompressor.saliency(stats.layer(e.getKey()));
            complexes.put(e.getKey(), HodgeCover.complex(e.getValue().input(sal, 1), params));
        }
    }

    public Map<Integer, HodgeCover.Complex> complexes() {
        return complexes;
    }

    /** {@code harmonic_energy.csv}: layer,harmonic_energy_fraction,betti1,tau_star,edges,faces,betti1_curve. */
    public String harmonicCsv(String backbone) {
        StringBuilder sb = new StringBuilder(Csv.row((Object[]) HARMONIC_HEADER));
        for (Map.Entry<Integer, HodgeCover.Complex> e : complexes.entrySet()) {
            HodgeCover.Complex c = e.getValue();
            StringBuilder curve = new StringBuilder();
            for (int b : c.filtration().betti()) {
                curve.append(curve.length() == 0 ? "" : " ").append(b);
            }
            sb.append(Csv.row(backbone, e.getKey(), c.decomposition().harmonicEnergyFraction(), c.filtration().betti1(),
                    c.filtration().tauStar(), c.filtration().edges().length, c.faces().length, curve));
        }
        return sb.toString();
    }

    /** Records {@code backbone,compressor,ratio,layer,gradient,curl,harmonic,triplet,balance} (layer "mean" last). */
    public List<String> balanceRows(String backbone, String options, PruningPlan plan) {
        List<String> rows = new ArrayList<>();
        double[] sum = new double[4];
        int[] cnt = new int[4];
        double balSum = 0;
        int balCnt = 0;
        for (Map.Entry<Integer, HodgeCover.Complex> e : complexes.entrySet()) {
            LayerPlan lp = plan.layer(e.getKey());
            int n = e.getValue().decomposition().grad().length == 0 ? 0 : lp == null ? 0 : lp.numExperts();
            boolean[] kept = new boolean[Math.max(n, lp == null ? 0 : lp.numExperts())];
            if (lp == null) {
                java.util.Arrays.fill(kept, true);
            } else {
                for (int k : lp.kept()) {
                    kept[k] = true;
                }
            }
            Map<String, Double> r = e.getValue().retained(kept);
            double bal = HodgeBalance.balance(r);
            List<Object> row = new ArrayList<>(List.of(backbone, plan.compressor(), options, plan.ratio(), e.getKey()));
            int c = 0;
            for (String comp : HodgeBalance.COMPONENTS) {
                double v = r.get(comp);
                row.add(v);
                if (!Double.isNaN(v)) {
                    sum[c] += v;
                    cnt[c]++;
                }
                c++;
            }
            row.add(bal);
            if (!Double.isNaN(bal)) {
                balSum += bal;
                balCnt++;
            }
            rows.add(Csv.row(row.toArray()));
        }
        List<Object> mean = new ArrayList<>(List.of(backbone, plan.compressor(), options, plan.ratio(), "mean"));
        for (int c = 0; c < 4; c++) {
            mean.add(cnt[c] == 0 ? Double.NaN : sum[c] / cnt[c]);
        }
        mean.add(balCnt == 0 ? Double.NaN : balSum / balCnt);
        rows.add(Csv.row(mean.toArray()));
        return rows;
    }

    static final String[] HARMONIC_HEADER = {"backbone", "layer", "harmonic_energy_fraction", "betti1", "tau_star", "edges", "faces",
        "betti1_curve"};

    static final String[] BALANCE_HEADER = {"backbone", "compressor", "options", "ratio", "layer", "gradient", "curl", "harmonic",
        "triplet", "balance"};

    /**
     * {@code hodge_balance.csv}: the header, then {@link #balanceRows} of every plan, by its cell's canonical option
     * string (as in frontier.csv, so option variants of one compressor stay apart).
     */
    public String balanceCsv(String backbone, List<Map.Entry<String, PruningPlan>> optionsAndPlans) {
        StringBuilder csv = new StringBuilder(Csv.row((Object[]) BALANCE_HEADER));
        optionsAndPlans.forEach(e -> balanceRows(backbone, e.getKey(), e.getValue()).forEach(csv::append));
        return csv.toString();
    }
}
