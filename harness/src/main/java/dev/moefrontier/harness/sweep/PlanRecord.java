package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.compress.ExpertMerge;
import dev.moefrontier.harness.compress.LayerPlan;
import dev.moefrontier.harness.compress.PruningPlan;
import dev.moefrontier.harness.util.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The decisions of one cell's plan, as {@code plans.jsonl} stores them (one line per compressed cell, in runs and in
 * references): per layer the kept experts, the redirect targets of the pruned ones, merge groups and the mask
 * checksum, plus the decision margin where the compressor records one. The fingerprint covers the decisions only (not
 * merge weights or margins), so two plans with equal fingerprints compress the model identically.
 *
 * @param backbone backbone name
 * @param compressor compressor name
 * @param options canonical option string (as in frontier.csv)
 * @param ratio requested ratio (as in frontier.csv)
 * @param mode drop or redirect
 * @param fingerprint SHA-256 (16 hex digits) of the layers' decisions
 * @param layers per layer
 */
public record PlanRecord(String backbone, String compressor, String options, String ratio, String mode, String fingerprint,
        List<Layer> layers) {

    /**
     * @param layer decoder layer
     * @param kept kept experts, ascending
     * @param redirect pruned expert → survivor
     * @param merges merge groups: the survivor first, then its members
     * @param masks SHA-256 of the layer's weight masks, or null
     * @param alignment SHA-256 (16 hex digits) of the merges' neuron permutations, or null when no merge aligns neurons
     * @param margin decision margin (fraction of the largest value compared; 0 = decided by the index rule), or null
     */
    public record Layer(int layer, int[] kept, Map<String, Integer> redirect, List<int[]> merges, String masks, Double margin,
            String alignment) {}

    /** The record of a cell's plan. */
    public static PlanRecord of(Cell cell, PruningPlan plan) {
        List<Layer> ls = new ArrayList<>();
        for (LayerPlan lp : plan.layers()) {
            Map<String, Integer> red = new TreeMap<>((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
            for (int p : lp.pruned()) {
                red.put(Integer.toString(p), lp.redirect()[p]);
            }
            List<int[]> merges = new ArrayList<>();
            for (ExpertMerge m : lp.merges()) {
                int[] g = new int[m.members().length + 1];
                g[0] = m.into();
                int[] members = m.members().clone();
                Arrays.sort(members);
                System.arraycopy(members, 0, g, 1, members.length);
                merges.add(g);
            }
            merges.sort((a, b) -> Integer.compare(a[0], b[0]));
            ls.add(new Layer(lp.layer(), lp.kept().clone(), red, merges, lp.masks() == null ? null : lp.masks().sha256(),
                    plan.margins().get(lp.layer()), alignmentDigest(lp)));
        }
        return new PlanRecord(cell.backbone(), cell.compressor(), cell.optionString(), Collector.num(cell.ratio()),
                plan.mode().name().toLowerCase(Locale.ROOT), fingerprint(ls, plan.duplicateGates()), List.copyOf(ls));
    }

    /** The digest of a layer's neuron permutations (merges by survivor, members ascending), or null without any. */
    private static String alignmentDigest(LayerPlan lp) {
        List<ExpertMerge> aligned = lp.merges().stream().filter(m -> m.alignment() != null).sorted((a, b) -> Integer.compare(a.into(), b.into()))
                .toList();
        if (aligned.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (ExpertMerge m : aligned) {
            sb.append(m.into()).append(':');
            for (int i = 0; i < m.members().length; i++) {
                sb.append(m.members()[i]).append(Arrays.toString(m.alignment()[i]));
            }
            sb.append(';');
        }
        return sha16(sb.toString());
    }

    /** The first 16 hex digits of the SHA-256 of {@code text}. */
    private static String sha16(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cell key, as {@link ReferenceCheck} prints cells. */
    public String key() {
        return backbone + " | " + compressor + (options.isEmpty() ? "" : " [" + options + "]") + " | r=" + ratio;
    }

    /** One JSON line. */
    public String toJsonLine() {
        return Json.LINE.toJson(this);
    }

    public static PlanRecord fromJsonLine(String line) {
        PlanRecord r = Json.bind(line, PlanRecord.class);
        if (r == null || r.backbone == null || r.layers == null || r.fingerprint == null) {
            throw new IllegalArgumentException("not a plan record");
        }
        return r;
    }

    private static String fingerprint(List<Layer> layers, dev.moefrontier.harness.model.MoeOverride.DuplicateGates gates) {
        // Summed duplicate gates (the reference) add nothing, so plans recorded before the option keep their fingerprint.
        StringBuilder sb = new StringBuilder(gates == dev.moefrontier.harness.model.MoeOverride.DuplicateGates.SUM ? ""
                : "gates=" + gates + ";");
        for (Layer l : layers) {
            sb.append(l.layer).append(":k").append(Arrays.toString(l.kept)).append(":r").append(l.redirect).append(":m");
            l.merges.forEach(g -> sb.append(Arrays.toString(g)));
            sb.append(":w").append(l.masks);
            if (l.alignment != null) { // only aligning merges add it, so earlier fingerprints stay as they were
                sb.append(":a").append(l.alignment);
            }
            sb.append(';');
        }
        return sha16(sb.toString());
    }

    /**
     * How {@code run} differs from this (reference) plan, one phrase per changed layer: experts no longer kept (−) and
     * newly kept (+), changed redirect targets, merge groups and masks, and both sides' margins.
     */
    public List<String> differences(PlanRecord run) {
        List<String> out = new ArrayList<>();
        if (!mode.equals(run.mode)) {
            out.add("mode " + mode + " -> " + run.mode);
        }
        Map<Integer, Layer> theirs = new LinkedHashMap<>();
        run.layers.forEach(l -> theirs.put(l.layer, l));
        TreeSet<Integer> all = new TreeSet<>(theirs.keySet());
        layers.forEach(l -> all.add(l.layer));
        Map<Integer, Layer> ours = new LinkedHashMap<>();
        layers.forEach(l -> ours.put(l.layer, l));
        for (int layer : all) {
            Layer a = ours.get(layer);
            Layer b = theirs.get(layer);
            if (a == null || b == null) {
                out.add("layer " + layer + (a == null ? " only in the run" : " missing from the run"));
                continue;
            }
            List<String> d = new ArrayList<>();
            TreeSet<Integer> ka = set(a.kept);
            TreeSet<Integer> kb = set(b.kept);
            TreeSet<Integer> lost = new TreeSet<>(ka);
            lost.removeAll(kb);
            TreeSet<Integer> gained = new TreeSet<>(kb);
            gained.removeAll(ka);
            if (!lost.isEmpty() || !gained.isEmpty()) {
                d.add("kept -" + lost + " +" + gained);
            }
            List<String> red = new ArrayList<>();
            for (Map.Entry<String, Integer> e : a.redirect.entrySet()) {
                Integer t = b.redirect.get(e.getKey());
                if (t != null && !t.equals(e.getValue())) {
                    red.add(e.getKey() + ":" + e.getValue() + "->" + t);
                }
            }
            if (!red.isEmpty()) {
                d.add("redirect " + (red.size() > 6 ? red.subList(0, 6) + " and " + (red.size() - 6) + " more" : red));
            }
            if (!sameGroups(a.merges, b.merges)) {
                d.add("merge groups differ");
            }
            if (a.masks == null ? b.masks != null : !a.masks.equals(b.masks)) {
                d.add("masks differ");
            }
            if (a.alignment == null ? b.alignment != null : !a.alignment.equals(b.alignment)) {
                d.add("neuron alignments differ");
            }
            if (!d.isEmpty()) {
                out.add("layer " + layer + ": " + String.join(", ", d) + " (margin reference " + margin(a.margin) + ", run "
                        + margin(b.margin) + ")");
            }
        }
        return out;
    }

    /**
     * The largest reference margin among the layers where {@code run} decided differently, or null when a changed layer
     * has no recorded margin, a layer is missing on either side or the mode changed (nothing says it was a near-tie). A
     * layer whose experts agree and only the weight masks differ counts as margin 0: masks rank per-weight scores
     * exactly, so any floating-point difference can reorder a tie.
     */
    public Double largestChangedMargin(PlanRecord run) {
        if (!mode.equals(run.mode) || layers.size() != run.layers.size()) {
            return null;
        }
        Map<Integer, Layer> theirs = new LinkedHashMap<>();
        run.layers.forEach(l -> theirs.put(l.layer, l));
        double largest = 0;
        for (Layer a : layers) {
            Layer b = theirs.get(a.layer);
            if (b == null) {
                return null;
            }
            boolean sameExperts = set(a.kept).equals(set(b.kept)) && a.redirect.equals(b.redirect) && sameGroups(a.merges, b.merges)
                    && java.util.Objects.equals(a.alignment, b.alignment); // an assignment records no margin: unexplained
            if (!sameExperts) {
                if (a.margin == null) {
                    return null;
                }
                largest = Math.max(largest, a.margin);
            }
            // only the masks moved: per-weight scores are compared exactly (methods.md §10), a margin of 0 by construction
        }
        return largest;
    }

    private static String margin(Double m) {
        if (m == null) {
            return "not recorded";
        }
        return m == 0 ? "0, a tie broken by index" : String.format(Locale.ROOT, "%.2g", m);
    }

    private static boolean sameGroups(List<int[]> a, List<int[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static TreeSet<Integer> set(int[] v) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int x : v) {
            s.add(x);
        }
        return s;
    }
}
