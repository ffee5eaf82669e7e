package dev.moefrontier.harness.compress;

import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeOverride;
import dev.moefrontier.harness.util.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compressor's decision for every MoE layer, and how to apply it (methods.md §2). Serialized as
 * {@code pruning_plan.json}; weight masks appear there as their spec and checksum only.
 */
public final class PruningPlan {
    /** How pruned experts disappear at run time. */
    public enum Mode {
        /** Router rows and experts of pruned experts are removed; top-k over the survivors (exportable as is). */
        DROP,
        /** The router keeps all E rows; selected pruned experts are served by their redirect target. */
        REDIRECT
    }

    public static final String FORMAT = "moe-frontier/pruning-plan";

    private final String compressor;
    private final Map<String, String> options;
    private final double ratio;
    private final Mode mode;
    private final Map<Integer, LayerPlan> layers;
    private final MaskSpec maskSpec;
    private final Map<String, String> info;
    private final Map<Integer, Double> margins;
    private final PlanFigures figures;
    private final MoeOverride.DuplicateGates duplicateGates;

    public PruningPlan(String compressor, Map<String, String> options, double ratio, Mode mode, List<LayerPlan> layers,
            MaskSpec maskSpec, Map<String, String> info) {
        this.compressor = compressor;
        this.options = Collections.unmodifiableMap(new TreeMap<>(options));
        this.ratio = ratio;
        this.mode = mode;
        Map<Integer, LayerPlan> m = new TreeMap<>();
        for (LayerPlan lp : layers) {
            if (m.put(lp.layer(), lp) != null) {
                throw new IllegalArgumentException("layer " + lp.layer() + " planned twice");
            }
        }
        this.layers = Collections.unmodifiableMap(m);
        this.maskSpec = maskSpec;
        this.info = Collections.unmodifiableMap(new LinkedHashMap<>(info));
        this.margins = Map.of();
        this.figures = PlanFigures.NONE;
        this.duplicateGates = MoeOverride.DuplicateGates.SUM;
    }

    private PruningPlan(PruningPlan p, Map<Integer, Double> margins, PlanFigures figures) {
        this(p, margins, figures, p.duplicateGates);
    }

    private PruningPlan(PruningPlan p, Map<Integer, Double> margins, PlanFigures figures, MoeOverride.DuplicateGates gates) {
        this.compressor = p.compressor;
        this.options = p.options;
        this.ratio = p.ratio;
        this.mode = p.mode;
        this.layers = p.layers;
        this.maskSpec = p.maskSpec;
        this.info = p.info;
        this.figures = figures;
        this.duplicateGates = gates;
        Map<Integer, Double> m = new TreeMap<>();
        margins.forEach((l, v) -> {
            if (v != null && !v.isNaN()) {
                m.put(l, v);
            }
        });
        this.margins = Collections.unmodifiableMap(m);
    }

    /**
     * The same plan with per-layer decision margins: how far the deciding values were from a different decision, as a
     * fraction of the largest value compared (methods.md §10; 0 = decided by the index rule). Reported by
     * {@code frontier check} when a plan changes.
     */
    public PruningPlan withMargins(Map<Integer, Double> m) {
        return new PruningPlan(this, m, figures);
    }

    /** The same plan with the compressor's reported figures (they describe the plan, not what it does). */
    public PruningPlan withFigures(PlanFigures f) {
        return new PruningPlan(this, margins, f);
    }

    /** The same plan with another rule for redirected duplicate gates (redirect mode; methods.md §4.12). */
    public PruningPlan withDuplicateGates(MoeOverride.DuplicateGates g) {
        return new PruningPlan(this, margins, figures, g);
    }

    /** How the gates of two slots redirected to one expert combine (SUM unless the compressor chose otherwise). */
    public MoeOverride.DuplicateGates duplicateGates() {
        return duplicateGates;
    }

    /** The compressor's reported figures ({@link PlanFigures#NONE} when it reports none). */
    public PlanFigures figures() {
        return figures;
    }

    /** Per-layer decision margins (empty when the compressor records none). */
    public Map<Integer, Double> margins() {
        return margins;
    }

    public String compressor() {
        return compressor;
    }

    public Map<String, String> options() {
        return options;
    }

    /** The requested ratio. */
    public double ratio() {
        return ratio;
    }

    public Mode mode() {
        return mode;
    }

    public List<LayerPlan> layers() {
        return List.copyOf(layers.values());
    }

    /** The plan of layer {@code layer}, or null when the layer is unchanged. */
    public LayerPlan layer(int layer) {
        return layers.get(layer);
    }

    /** Weight sparsity, or null when the plan has no masks. */
    public MaskSpec maskSpec() {
        return maskSpec;
    }

    /** Extra facts (r1, r2, seeds, calibration, provenance). */
    public Map<String, String> info() {
        return info;
    }

    /** A copy with other layer plans and mask spec (e.g. after a Wanda stage). */
    public PruningPlan with(String compressorName, Map<String, String> opts, double newRatio, List<LayerPlan> newLayers,
            MaskSpec spec, Map<String, String> moreInfo) {
        Map<String, String> i = new LinkedHashMap<>(info);
        i.putAll(moreInfo);
        return new PruningPlan(compressorName, opts, newRatio, mode, newLayers, spec, i).withMargins(margins).withFigures(figures)
                .withDuplicateGates(duplicateGates);
    }

    /** The same plan run with another {@link Mode}. */
    public PruningPlan withMode(Mode m) {
        return new PruningPlan(compressor, options, ratio, m, layers(), maskSpec, info).withMargins(margins).withFigures(figures)
                .withDuplicateGates(duplicateGates);
    }

    /** Checks the plan against a model: MoE layers, expert counts, top-k. */
    public void validate(ModelConfig cfg) {
        for (LayerPlan lp : layers.values()) {
            if (!cfg.moeLayers().contains(lp.layer())) {
                throw new IllegalArgumentException("plan changes layer " + lp.layer() + ", which is not a MoE layer");
            }
            if (lp.numExperts() != cfg.moe().numExperts()) {
                throw new IllegalArgumentException("plan for layer " + lp.layer() + " assumes " + lp.numExperts()
                        + " experts, the model has " + cfg.moe().numExperts());
            }
            for (ExpertMerge mg : lp.merges()) {
                if (mg.alignment() != null && mg.alignment()[0].length != cfg.moe().intermediate()) {
                    throw new IllegalArgumentException("layer " + lp.layer() + ": merge into " + mg.into() + " aligns "
                            + mg.alignment()[0].length + " neurons, the model's experts have " + cfg.moe().intermediate());
                }
            }
            if (lp.kept().length < cfg.moe().topK()) {
                throw new IllegalArgumentException("layer " + lp.layer() + " keeps " + lp.kept().length
                        + " experts, fewer than top_k = " + cfg.moe().topK());
            }
        }
    }

    /**
     * The {@code pruning_plan.json} document, key by key (bound by {@link Json}; null components are left out).
     *
     * @param format {@link #FORMAT}
     * @param version format version (1)
     * @param compressor compressor name
     * @param options the compressor's options
     * @param ratio requested ratio
     * @param mode drop or redirect
     * @param duplicateGates "max" or "renormalize" when redirected duplicate gates are not summed; null for the sum
     * @param model the shape the plan assumes
     * @param accounting what the plan removes (methods.md §4.11), for readers; not read back
     * @param masks the weight-mask spec, or null
     * @param info text notes
     * @param figures the compressor's figures, or null when it reports none
     * @param layers the changed MoE layers
     * @param export where an exported checkpoint came from, or null outside an export
     */
    public record Document(String format, int version, String compressor, Map<String, String> options, double ratio,
            String mode, String duplicateGates, ModelShape model, Accounting accounting, MaskFields masks, Map<String, String> info,
            PlanFigures figures, List<LayerFields> layers, Export export) {
        /** The same document with its export section. */
        public Document withExport(Export e) {
            return new Document(format, version, compressor, options, ratio, mode, duplicateGates, model, accounting, masks, info,
                    figures, layers, e);
        }
    }

    /** The model a plan was made for. */
    public record ModelShape(String modelType, int numExperts, int topK) {}

    /** {@link MaskSpec} as stored ({@code pattern} "unstructured" or "N:M"). */
    public record MaskFields(String method, String pattern, double sparsity, boolean sequential, String emptyExperts) {}

    /** One layer: kept and pruned experts, redirect targets of the pruned, merges, margin, mask checksum. */
    public record LayerFields(int layer, int[] kept, int[] pruned, Map<String, Integer> redirect, List<MergeFields> merges,
            Double margin, MaskChecksum masks) {}

    /** One merge group; {@code alignment} (per member, its neuron permutation) only when the method aligns neurons. */
    public record MergeFields(int into, int[] members, double[] weights, int[][] alignment) {}

    /** A layer's weight masks, by checksum only. */
    public record MaskChecksum(String sha256) {}

    /**
     * The export section of an exported checkpoint's plan.
     *
     * @param source the source checkpoint folder
     * @param sourceFingerprint its fingerprint
     * @param expertsPerLayer experts per MoE layer after export
     * @param note how experts are renumbered
     * @param provenance versions and commit of the exporting run
     */
    public record Export(String source, String sourceFingerprint, int expertsPerLayer, String note,
            Map<String, String> provenance) {}

    /** The {@code pruning_plan.json} document of this plan on {@code cfg}. */
    public Document document(ModelConfig cfg) {
        MaskFields ms = maskSpec == null ? null
                : new MaskFields(maskSpec.method(), maskSpec.pattern(), maskSpec.sparsity(), maskSpec.sequential(), maskSpec.empty());
        List<LayerFields> ls = new ArrayList<>();
        for (LayerPlan lp : layers.values()) {
            Map<String, Integer> red = new LinkedHashMap<>();
            for (int p : lp.pruned()) {
                red.put(Integer.toString(p), lp.redirect()[p]);
            }
            List<MergeFields> merges = new ArrayList<>();
            for (ExpertMerge m : lp.merges()) {
                merges.add(new MergeFields(m.into(), m.members(), m.weights(), m.alignment()));
            }
            ls.add(new LayerFields(lp.layer(), lp.kept(), lp.pruned(), red, merges, margins.get(lp.layer()),
                    lp.masks() == null ? null : new MaskChecksum(lp.masks().sha256())));
        }
        return new Document(FORMAT, 1, compressor, options, ratio, mode.name().toLowerCase(java.util.Locale.ROOT),
                duplicateGates == MoeOverride.DuplicateGates.SUM ? null : duplicateGates.name().toLowerCase(java.util.Locale.ROOT),
                new ModelShape(cfg.modelType(), cfg.moe().numExperts(), cfg.moe().topK()), Budget.account(cfg, this), ms, info,
                figures.equals(PlanFigures.NONE) ? null : figures, ls, null);
    }

    /** Pretty-printed {@link #document}. */
    public String toJsonString(ModelConfig cfg) {
        return Json.pretty(document(cfg));
    }

    /** Reads a {@code pruning_plan.json}; a file that is not one is a {@link CheckpointException} naming it. */
    public static PruningPlan read(Path file) throws IOException {
        try {
            return of(Json.read(file, Document.class, "pruning plan"));
        } catch (IllegalArgumentException | NullPointerException | IndexOutOfBoundsException e) {
            throw CheckpointException.of(file, "not a pruning plan: " + e.getMessage());
        }
    }

    /** The plan of a document (masks come back as spec + checksum only). */
    public static PruningPlan of(Document d) {
        if (!FORMAT.equals(d.format())) {
            throw new IllegalArgumentException("not a MoE Frontier pruning plan (format " + d.format() + ")");
        }
        require(d.model(), "model");
        require(d.layers(), "layers");
        require(d.mode(), "mode");
        int e = d.model().numExperts();
        List<LayerPlan> layers = new ArrayList<>();
        Map<Integer, Double> margins = new TreeMap<>();
        for (LayerFields l : d.layers()) {
            if (l.margin() != null) {
                margins.put(l.layer(), l.margin());
            }
            int[] red = new int[e];
            for (int i = 0; i < e; i++) {
                red[i] = i;
            }
            if (l.redirect() != null) {
                l.redirect().forEach((from, to) -> red[Integer.parseInt(from)] = to);
            }
            List<ExpertMerge> merges = new ArrayList<>();
            if (l.merges() != null) {
                for (MergeFields m : l.merges()) {
                    merges.add(new ExpertMerge(m.into(), require(m.members(), "members"), require(m.weights(), "weights"), m.alignment()));
                }
            }
            LayerMasks masks = l.masks() != null ? new LayerMasks(Map.of(), null, l.masks().sha256()) : null;
            layers.add(new LayerPlan(l.layer(), e, require(l.kept(), "kept"), require(l.pruned(), "pruned"), red, merges, masks));
        }
        MaskSpec spec = null;
        if (d.masks() != null) {
            MaskFields ms = d.masks();
            if (ms.method() == null) {
                throw new IllegalArgumentException("masks name no method (the weight-mask rule that decides them)");
            }
            spec = MaskSpec.of(ms.method(), require(ms.pattern(), "pattern"), ms.sparsity(), ms.sequential(), ms.emptyExperts());
        }
        return new PruningPlan(d.compressor(), d.options() == null ? Map.of() : d.options(), d.ratio(),
                Mode.valueOf(d.mode().toUpperCase(java.util.Locale.ROOT)), layers, spec, d.info() == null ? Map.of() : d.info())
                .withMargins(margins).withFigures(d.figures() == null ? PlanFigures.NONE : d.figures())
                .withDuplicateGates(d.duplicateGates() == null ? MoeOverride.DuplicateGates.SUM
                        : MoeOverride.DuplicateGates.valueOf(d.duplicateGates().toUpperCase(java.util.Locale.ROOT)));
    }

    private static <T> T require(T v, String key) {
        if (v == null) {
            throw new IllegalArgumentException("no '" + key + "'");
        }
        return v;
    }
}
