package dev.moefrontier.harness.sweep;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.io.Checkpoint;
import dev.moefrontier.harness.runtime.Numerics;
import dev.moefrontier.harness.util.Checksums;
import dev.moefrontier.harness.util.Json;
import dev.moefrontier.harness.util.Provenance;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run folder's {@code manifest.json}: what the run depends on (versions, git commit, machine, numeric environment,
 * the resolved spec, checkpoint and data checksums, seeds) and the fingerprint of every cell of its spec, by
 * "backbone/cell id". Bound by {@link Json}.
 *
 * @param provenance versions, commit and machine
 * @param numerics the numeric environment (methods.md §10)
 * @param spec the resolved spec, in its own schema
 * @param cells number of cells
 * @param groups number of cell groups
 * @param checkpoints backbone → checkpoint fingerprint (or "unreadable: reason")
 * @param dataSha256 calibration file and each task's data → SHA-256
 * @param seeds compressor and calibration seeds
 * @param cellFingerprints "backbone/cell id" → {@link CellFingerprint}
 */
public record RunManifest(Map<String, String> provenance, JsonObject numerics, JsonObject spec, int cells, int groups,
        Map<String, String> checkpoints, Map<String, String> dataSha256, Seeds seeds, Map<String, String> cellFingerprints) {

    /** The seeds a run was made with. */
    public record Seeds(long compressors, long calibration) {}

    /** The manifest of a plan, on this machine now. */
    static RunManifest of(SweepPlan plan) throws IOException {
        Map<String, String> checkpoints = new LinkedHashMap<>();
        Map<String, String> fingerprints = new LinkedHashMap<>();
        for (SweepSpec.Backbone b : plan.spec().backbones()) {
            try (Checkpoint c = Checkpoint.open(b.directory())) {
                checkpoints.put(b.name(), c.fingerprint());
                fingerprints.put(b.name(), c.fingerprint());
            } catch (RuntimeException e) {
                // A corrupt backbone fails its own group (error.json in its cells); the others still run.
                checkpoints.put(b.name(), "unreadable: " + e.getMessage());
                fingerprints.put(b.name(), "unreadable");
            }
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("calibration", Checksums.sha256(List.of(plan.spec().calibration().file())));
        for (SweepSpec.TaskEntry t : plan.spec().tasks()) {
            Evaluator e = Suite.registry().get(t.name());
            data.put(t.name(), Checksums.sha256(e.locate(t.dataPath())));
        }
        return new RunManifest(Provenance.basic(), Numerics.environment().toJson(), plan.spec().toJson(), plan.cellCount(),
                plan.groups().size(), checkpoints, data, new Seeds(plan.spec().seed(), plan.spec().calibration().seed()),
                CellFingerprint.all(plan, fingerprints));
    }

    /** Reads a manifest; a file that is not one is a one-line error naming it. */
    public static RunManifest read(Path file) throws IOException {
        return Json.read(file, RunManifest.class, "run manifest");
    }
}
