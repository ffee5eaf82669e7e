package dev.moefrontier.harness.compress;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.model.ModelConfig;
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
    }

    private PruningPlan(PruningPlan p, Map<Integer, Double> margins, PlanFigures figures) {
        this.compressor = p.compressor;
        this.options = p.options;
        this.ratio = p.ratio;
        this.mode = p.mode;
        this.layers = p.layers;
        this.maskSpec = p.maskSpec;
        this.info = p.info;
        this.figures = figures;
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
        return new PruningPlan(compressorName, opts, newRatio, mode, newLayers, spec, i).withMargins(margins).withFigures(figures);
    }

    /** The same plan run with another {@link Mode}. */
    public PruningPlan withMode(Mode m) {
        return new PruningPlan(compressor, options, ratio, m, layers(), maskSpec, info).withMargins(margins).withFigures(figures);
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
            if (lp.kept().length < cfg.moe().topK()) {
                throw new IllegalArgumentException("layer " + lp.layer() + " keeps " + lp.kept().length
                        + " experts, fewer than top_k = " + cfg.moe().topK());
            }
        }
    }

    /** The {@code pruning_plan.json} object. */
    public JsonObject toJson(ModelConfig cfg) {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("version", 1);
        o.addProperty("compressor", compressor);
        JsonObject opts = new JsonObject();
        options.forEach(opts::addProperty);
        o.add("options", opts);
        o.addProperty("ratio", ratio);
        o.addProperty("mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        JsonObject model = new JsonObject();
        model.addProperty("model_type", cfg.modelType());
        model.addProperty("num_experts", cfg.moe().numExperts());
        model.addProperty("top_k", cfg.moe().topK());
        o.add("model", model);
        Accounting a = Budget.account(cfg, this);
        JsonObject acc = new JsonObject();
        acc.addProperty("expert_ratio", a.expertRatio());
        acc.addProperty("weight_sparsity", a.weightSparsity());
        acc.addProperty("moe_params", a.moeParams());
        acc.addProperty("removed_moe_params", a.removedMoeParams());
        acc.addProperty("compression", a.compression());
        acc.addProperty("total_params", a.totalParams());
        acc.addProperty("removed_total_fraction", a.removedTotalFraction());
        o.add("accounting", acc);
        if (maskSpec != null) {
            JsonObject ms = new JsonObject();
            ms.addProperty("method", maskSpec.method());
            ms.addProperty("pattern", maskSpec.pattern());
            ms.addProperty("sparsity", maskSpec.sparsity());
            ms.addProperty("sequential", maskSpec.sequential());
            ms.addProperty("empty_experts", maskSpec.empty());
            o.add("masks", ms);
        }
        JsonObject inf = new JsonObject();
        info.forEach(inf::addProperty);
        o.add("info", inf);
        if (!figures.equals(PlanFigures.NONE)) {
            o.add("figures", figures.toJson());
        }
        JsonArray ls = new JsonArray();
        for (LayerPlan lp : layers.values()) {
            JsonObject l = new JsonObject();
            l.addProperty("layer", lp.layer());
            l.add("kept", ints(lp.kept()));
            l.add("pruned", ints(lp.pruned()));
            JsonObject red = new JsonObject();
            for (int p : lp.pruned()) {
                red.addProperty(Integer.toString(p), lp.redirect()[p]);
            }
            l.add("redirect", red);
            JsonArray merges = new JsonArray();
            for (ExpertMerge m : lp.merges()) {
                JsonObject mj = new JsonObject();
                mj.addProperty("into", m.into());
                mj.add("members", ints(m.members()));
                JsonArray w = new JsonArray();
                for (double x : m.weights()) {
                    w.add(x);
                }
                mj.add("weights", w);
                merges.add(mj);
            }
            l.add("merges", merges);
            if (margins.containsKey(lp.layer())) {
                l.addProperty("margin", margins.get(lp.layer()));
            }
            if (lp.masks() != null) {
                JsonObject mk = new JsonObject();
                mk.addProperty("sha256", lp.masks().sha256());
                l.add("masks", mk);
            }
            ls.add(l);
        }
        o.add("layers", ls);
        return o;
    }

    /** Pretty-printed {@link #toJson}. */
    public String toJsonString(ModelConfig cfg) {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(toJson(cfg)) + "\n";
    }

    /** Reads a plan written by {@link #toJson} (masks come back as spec + checksum only). */
    public static PruningPlan fromJson(JsonObject o) {
        if (!FORMAT.equals(str(o, "format"))) {
            throw new IllegalArgumentException("not a MoE Frontier pruning plan (format " + str(o, "format") + ")");
        }
        Map<String, String> opts = new LinkedHashMap<>();
        if (o.has("options")) {
            o.getAsJsonObject("options").entrySet().forEach(e -> opts.put(e.getKey(), e.getValue().getAsString()));
        }
        int e = o.getAsJsonObject("model").get("num_experts").getAsInt();
        List<LayerPlan> layers = new ArrayList<>();
        Map<Integer, Double> margins = new TreeMap<>();
        for (JsonElement el : o.getAsJsonArray("layers")) {
            JsonObject l = el.getAsJsonObject();
            if (l.has("margin")) {
                margins.put(l.get("layer").getAsInt(), l.get("margin").getAsDouble());
            }
            int[] kept = toInts(l.getAsJsonArray("kept"));
            int[] pruned = toInts(l.getAsJsonArray("pruned"));
            int[] red = new int[e];
            for (int i = 0; i < e; i++) {
                red[i] = i;
            }
            if (l.has("redirect")) {
                l.getAsJsonObject("redirect").entrySet().forEach(r -> red[Integer.parseInt(r.getKey())] = r.getValue().getAsInt());
            }
            List<ExpertMerge> merges = new ArrayList<>();
            if (l.has("merges")) {
                for (JsonElement me : l.getAsJsonArray("merges")) {
                    JsonObject mj = me.getAsJsonObject();
                    JsonArray w = mj.getAsJsonArray("weights");
                    double[] ws = new double[w.size()];
                    for (int i = 0; i < ws.length; i++) {
                        ws[i] = w.get(i).getAsDouble();
                    }
                    merges.add(new ExpertMerge(mj.get("into").getAsInt(), toInts(mj.getAsJsonArray("members")), ws));
                }
            }
            LayerMasks masks = l.has("masks") ? new LayerMasks(Map.of(), null, l.getAsJsonObject("masks").get("sha256").getAsString()) : null;
            layers.add(new LayerPlan(l.get("layer").getAsInt(), e, kept, pruned, red, merges, masks));
        }
        MaskSpec spec = null;
        if (o.has("masks")) {
            JsonObject ms = o.getAsJsonObject("masks");
            if (!ms.has("method")) {
                throw new IllegalArgumentException("masks name no method (the weight-mask rule that decides them)");
            }
            spec = MaskSpec.of(str(ms, "method"), ms.get("pattern").getAsString(), ms.get("sparsity").getAsDouble(),
                    ms.get("sequential").getAsBoolean(), ms.get("empty_experts").getAsString());
        }
        Map<String, String> info = new LinkedHashMap<>();
        if (o.has("info")) {
            o.getAsJsonObject("info").entrySet().forEach(x -> info.put(x.getKey(), x.getValue().getAsString()));
        }
        return new PruningPlan(str(o, "compressor"), opts, o.get("ratio").getAsDouble(),
                Mode.valueOf(str(o, "mode").toUpperCase(java.util.Locale.ROOT)), layers, spec, info).withMargins(margins)
                .withFigures(PlanFigures.fromJson(o.get("figures")));
    }

    private static String str(JsonObject o, String k) {
        return o.has(k) ? o.get(k).getAsString() : null;
    }

    private static JsonArray ints(int[] a) {
        JsonArray j = new JsonArray();
        for (int x : a) {
            j.add(x);
        }
        return j;
    }

    private static int[] toInts(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }
}
