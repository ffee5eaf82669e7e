package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.util.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merge barriers as a per-layer statistic (what {@code frontier plan}'s phase 1 relies on): computed one layer per call,
 * in any order, into per-layer cache files, they are bit-identical to the whole statistic computed in one pass, and the
 * calibrator assembles them instead of computing again.
 */
class PerLayerStatisticTest {
    @TempDir
    static Path tmp;

    @Test
    void barriersComputedLayerByLayerEqualTheWholeStatistic() throws Exception {
        Progress.quiet(true);
        Path dir = tmp.resolve("model");
        SyntheticCheckpoint.of("qwen3_5_moe").layers(3).fullAttentionInterval(2).hidden(32).heads(4, 2, 16).experts(8, 2, 16).shared(16)
                .vocab(64).seed(9).write(dir);
        Random r = new Random(4);
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int s = 0; s < 6; s++) {
            sb.append(s == 0 ? "" : ",").append(java.util.Arrays.toString(r.ints(12 + s, 0, 64).toArray()));
        }
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, sb.append("]}").toString());
        for (MergeBarriers.Mode mode : MergeBarriers.Mode.values()) {
            BarrierStatistic stat = new BarrierStatistic(new BarrierSettings(mode, 0, 12, 0, 4096, 0));
            try (MoeTransformer m = MoeTransformer.open(dir)) {
                CalibrationData d = CalibrationData.load(CalibrationSpec.tokenIds(ids), dir, 64, 1 << 20);
                CalibrationStats whole = new Calibrator(tmp.resolve("whole-" + mode), 4096, s -> { }).stats(m, d, List.of(stat));
                List<String> log = new ArrayList<>();
                Calibrator parts = new Calibrator(tmp.resolve("parts-" + mode), 4096, log::add);
                List<Integer> moe = m.config().moeLayers();
                for (int i = moe.size() - 1; i >= 0; i--) { // last layer first: each task on its own
                    assertEquals(List.of(moe.get(i)), parts.prepareLayers(m, d, List.of(stat), List.of(moe.get(i))));
                }
                assertEquals(List.of(), parts.prepareLayers(m, d, List.of(stat), moe), "a rerun computes nothing");
                CalibrationStats assembled = parts.stats(m, d, List.of(stat));
                assertTrue(log.stream().anyMatch(l -> l.contains("reusing " + moe.size() + " cached layer(s)")), log.toString());
                for (int l : moe) {
                    for (String name : whole.values(stat, l).keySet()) {
                        assertArrayEquals(whole.values(stat, l).get(name), assembled.values(stat, l).get(name), mode + " layer " + l + " " + name);
                    }
                }
            }
        }
    }
}
