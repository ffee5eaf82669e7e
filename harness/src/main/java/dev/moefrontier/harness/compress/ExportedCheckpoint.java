package dev.moefrontier.harness.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.io.SafetensorsFile;
import dev.moefrontier.harness.io.TensorInfo;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeOverride;
import dev.moefrontier.harness.model.MoeTransformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reading a {@link PlanExporter} directory back: its plan file, and for redirect plans the original routers that
 * restore redirect semantics (methods.md §2) on top of the drop form Hugging Face loaders see.
 */
public final class ExportedCheckpoint {
    public static final String PLAN_FILE = "pruning_plan.json";
    public static final String REDIRECT_ROUTERS = "redirect_router.safetensors";

    private ExportedCheckpoint() {}

    /**
     * The patch that restores redirect semantics on a model loaded from an export directory, or {@link ModelPatch#NONE} when the export is a drop plan (or no plan is present).
     */
    public static ModelPatch patchFor(MoeTransformer model) throws IOException {
        Path dir = model.checkpoint().dir();
        Path planFile = dir.resolve(PLAN_FILE);
        Path routerFile = dir.resolve(REDIRECT_ROUTERS);
        if (!Files.exists(planFile) || !Files.exists(routerFile)) {
            return ModelPatch.NONE;
        }
        PruningPlan plan = PruningPlan.read(planFile);
        if (plan.mode() != PruningPlan.Mode.REDIRECT) {
            return ModelPatch.NONE;
        }
        NDManager m = model.manager().newSubManager();
        Map<Integer, MoeOverride> overrides = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(routerFile)) {
            for (LayerPlan lp : plan.layers()) {
                TensorInfo t = f.tensors().get("layers." + lp.layer() + ".router");
                if (t == null) {
                    throw CheckpointException.of(routerFile, "layers." + lp.layer() + ".router", "missing");
                }
                NDArray router = m.create(f.readFloats(t), new Shape(t.shape())).transpose(); // [H, E0]
                int[] newIndex = new int[lp.numExperts()];
                for (int j = 0; j < lp.kept().length; j++) {
                    newIndex[lp.kept()[j]] = j;
                }
                int[] redirect = new int[lp.numExperts()];
                for (int e = 0; e < redirect.length; e++) {
                    redirect[e] = newIndex[lp.redirect()[e]];
                }
                overrides.put(lp.layer(), new MoeOverride(null, redirect, null, null, null, null, router, null, null, plan.duplicateGates()));
            }
        }
        return (layer, weights) -> overrides.get(layer);
    }
}
