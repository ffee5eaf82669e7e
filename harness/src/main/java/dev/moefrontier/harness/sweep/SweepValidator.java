package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.compress.Budget;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.spi.Registry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Rejects a bad sweep before any model is loaded: unknown backbones, compressors or tasks, invalid options or ratios
 * (for every backbone), missing checkpoints, calibration or data files. Every error is one line naming the spec file
 * (or the missing file) and the key.
 */
public final class SweepValidator {
    private SweepValidator() {}

    /** Validates and expands. */
    public static SweepPlan validate(SweepSpec spec) {
        Path f = spec.file();
        Map<String, ModelConfig> configs = new LinkedHashMap<>();
        for (SweepSpec.Backbone b : spec.backbones()) {
            if (configs.containsKey(b.name())) {
                throw CheckpointException.of(f, "backbones: '" + b.name() + "' appears twice");
            }
            Path dir = b.directory();
            if (!Files.isDirectory(dir)) {
                throw CheckpointException.of(f, "backbones[" + b.name() + "]: no such checkpoint directory " + dir);
            }
            configs.put(b.name(), ModelConfig.load(dir)); // names config.json on a bad or unknown model type
        }
        Path cal = spec.calibration().file();
        if (!Files.isRegularFile(cal)) {
            throw CheckpointException.of(f, "calibration.source: no such file " + cal);
        }
        CalibrationSpec calSpec = new CalibrationSpec(cal, spec.calibration().count(), spec.calibration().length(),
                spec.calibration().seed());
        if (spec.stabilityResamples() > 0 && calSpec.kind() == CalibrationSpec.Kind.TOKEN_IDS) {
            throw CheckpointException.of(f, "stability.resamples: the calibration source " + cal + " is a token-id file whose"
                    + " windows are fixed; plan stability draws new windows from a corpus (.jsonl or .txt)");
        }
        calSpec.kind();
        for (Map.Entry<String, ModelConfig> b : configs.entrySet()) {
            try {
                // Read, tokenized and windowed as the run will (a short or malformed corpus fails here, not mid-sweep).
                CalibrationData.load(calSpec, spec.backbones().stream().filter(x -> x.name().equals(b.getKey())).findFirst()
                        .orElseThrow().directory(), b.getValue().vocabSize(), b.getValue().maxPositions());
            } catch (CheckpointException e) {
                throw new CheckpointException(e.getMessage() + " (calibration of backbone " + b.getKey() + " in " + f + ")");
            }
        }
        Set<Double> seen = new HashSet<>();
        for (double r : spec.ratios()) {
            try {
                Budget.checkRatio(r);
            } catch (IllegalArgumentException e) {
                throw CheckpointException.of(f, "ratios: " + e.getMessage());
            }
            if (!seen.add(r)) {
                throw CheckpointException.of(f, "ratios: " + r + " appears twice");
            }
        }
        SweepPlan plan = SweepPlan.expand(spec);
        CompressorCatalog catalog = CompressorCatalog.load();
        Map<String, String> normalized = new HashMap<>();
        for (SweepSpec.CompressorEntry c : spec.compressors()) {
            if (catalog.find(c.name()).isEmpty()) {
                throw CheckpointException.of(f, "compressors: unknown compressor '" + c.name() + "' (see 'frontier list compressors')");
            }
            Compressor comp = catalog.get(c.name());
            String key;
            try {
                // Compared after defaults are filled in: 'reap' and 'reap' with its default options are one method.
                key = comp.name() + "|" + Options.parse(comp.name(), comp.options(), c.options()).canonical();
            } catch (IllegalArgumentException e) {
                throw CheckpointException.of(f, "compressors[" + c.name() + "]: " + e.getMessage());
            }
            String before = normalized.put(key, c.name() + (c.options().isEmpty() ? "" : " " + c.options()));
            if (before != null) {
                throw CheckpointException.of(f, "compressors: '" + c.name() + (c.options().isEmpty() ? "" : " " + c.options())
                        + "' repeats '" + before + "' (the same compressor with the same options after defaults)");
            }
        }
        for (CellGroup g : plan.groups()) {
            ModelConfig cfg = configs.get(g.backbone().name());
            for (Cell cell : g.cells()) {
                if (cell.isDense()) {
                    continue;
                }
                Compressor c = catalog.get(cell.compressor());
                String where = "compressors[" + cell.compressor() + "]";
                try {
                    Options o = Options.parse(c.name(), c.options(), cell.options());
                    c.check(cfg, cell.ratio(), o);
                } catch (IllegalArgumentException e) {
                    throw CheckpointException.of(f, where + " at ratio " + cell.ratio() + " on " + g.backbone().name() + ": " + e.getMessage());
                }
            }
        }
        Registry<Evaluator> tasks = Suite.registry();
        Set<String> names = new HashSet<>();
        for (SweepSpec.TaskEntry t : spec.tasks()) {
            if (!names.add(t.name())) {
                throw CheckpointException.of(f, "tasks: '" + t.name() + "' appears twice");
            }
            Evaluator e;
            try {
                e = tasks.get(t.name());
                Options.parse(e.name(), e.options(), t.options());
            } catch (IllegalArgumentException ex) {
                throw CheckpointException.of(f, "tasks[" + t.name() + "]: " + ex.getMessage());
            }
            e.locate(t.dataPath()); // names the missing data file
        }
        return plan;
    }
}
