package dev.moefrontier.harness.sweep;

import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.spi.Compressor;
import dev.moefrontier.harness.compress.CompressorCatalog;
import dev.moefrontier.harness.compress.Options;
import dev.moefrontier.harness.spi.Evaluator;
import dev.moefrontier.harness.eval.Suite;
import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.runtime.Numerics;
import dev.moefrontier.harness.util.Checksums;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything that defines a cell's result, hashed: the backbone's content fingerprint (config, tokenizer, every
 * weight byte), the calibration (file content, count, length, seed) and statistics version, the compressor with its
 * options after defaults and its semantic version, the ratio, every task with its data checksum, options, limit and
 * version, the seed, the evaluation batch size and the numeric mode. A resumed sweep keeps a cell only when the
 * fingerprint recorded in its {@code result.json} equals this one.
 */
public final class CellFingerprint {
    private final SweepSpec spec;
    private final String shared;

    /** Precomputes the parts shared by every cell of {@code spec} (calibration and task data checksums). */
    public CellFingerprint(SweepSpec spec) {
        this.spec = spec;
        StringBuilder sb = new StringBuilder();
        SweepSpec.Calibration c = spec.calibration();
        sb.append("calibration=").append(new CalibrationSpec(c.file(), c.count(), c.length(), c.seed()).describe())
                .append(";stats=v").append(CalibrationStats.VERSION).append('\n');
        Registry<Evaluator> tasks = Suite.registry();
        for (SweepSpec.TaskEntry t : spec.tasks()) {
            Evaluator e = tasks.get(t.name());
            sb.append("task=").append(t.name()).append(";version=").append(e.version()).append(";options=")
                    .append(Options.parse(e.name(), e.options(), t.options()).canonical()).append(";limit=").append(t.limit())
                    .append(";data=").append(Checksums.sha256(e.locate(t.dataPath()))).append('\n');
        }
        sb.append("seed=").append(spec.seed()).append(";batch_tokens=").append(spec.batchTokens()).append(";numerics=")
                .append(Numerics.cacheKey()).append('\n');
        this.shared = sb.toString();
    }

    /** The fingerprint (hex) of {@code cell} on a backbone whose checkpoint fingerprint is {@code checkpoint}. */
    public String of(Cell cell, String checkpoint) {
        StringBuilder sb = new StringBuilder(shared);
        sb.append("backbone=").append(cell.backbone()).append(";checkpoint=").append(checkpoint).append('\n');
        if (cell.isDense()) {
            sb.append("dense\n");
        } else {
            Compressor comp = CompressorCatalog.shared().get(cell.compressor());
            Options o = Options.parse(comp.name(), comp.options(), cell.options());
            sb.append("compressor=").append(comp.name()).append(";version=").append(comp.version()).append(";options=")
                    .append(o.canonical()).append(";ratio=").append(cell.ratio()).append(";statistics=")
                    .append(comp.statistics(o).stream().map(st -> st.id() + "@" + st.version()).sorted().toList()).append('\n');
        }
        return HexFormat.of().formatHex(sha256(sb.toString())).substring(0, 24);
    }

    /** Fingerprints of every cell of {@code plan}, by "backbone/cell id", given each backbone's checkpoint fingerprint. */
    public static Map<String, String> all(SweepPlan plan, Map<String, String> checkpoints) {
        CellFingerprint f = new CellFingerprint(plan.spec());
        Map<String, String> out = new TreeMap<>();
        for (CellGroup g : plan.groups()) {
            for (Cell c : g.cells()) {
                out.put(key(c), f.of(c, checkpoints.get(g.backbone().name())));
            }
        }
        return new LinkedHashMap<>(out);
    }

    /** "backbone/cell id". */
    public static String key(Cell c) {
        return c.backbone() + "/" + c.id();
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
