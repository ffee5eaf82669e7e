package dev.moefrontier.compressors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.moefrontier.harness.calib.CalibrationData;
import dev.moefrontier.harness.calib.CalibrationSpec;
import dev.moefrontier.harness.calib.CalibrationStats;
import dev.moefrontier.harness.calib.Calibrator;
import dev.moefrontier.harness.model.ModelPatch;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compressors' own calibration statistics (Wanda inputs, router Gram, mean outputs) do not depend on batching. */
class StatisticsTest {
    @TempDir
    Path tmp;

    @Test
    void batchedStatisticsEqualSequencesRunAlone() throws IOException {
        Path model = tmp.resolve("model");
        SyntheticCheckpoint.of("qwen2_moe").layers(2).hidden(32).heads(4, 2, 8).experts(8, 2, 16).shared(16).vocab(64).seed(3).write(model);
        Random r = new Random(1);
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int s = 0; s < 5; s++) {
            sb.append(s == 0 ? "[" : ", [");
            for (int t = 0; t < 17 - s; t++) { // unequal lengths: exercises padding
                sb.append(t == 0 ? "" : ", ").append(r.nextInt(64));
            }
            sb.append(']');
        }
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, sb.append("]}").toString());
        try (MoeTransformer m = MoeTransformer.open(model)) {
            CalibrationData data = CalibrationData.load(CalibrationSpec.tokenIds(ids), model, 64, 1 << 20);
            CalibrationStats batched = new Calibrator(null, 4096, s -> { }).collect(m, data, TestModels.all(), ModelPatch.NONE);
            CalibrationStats alone = new Calibrator(null, 1, s -> { }).collect(m, data, TestModels.all(), ModelPatch.NONE);
            for (int l : batched.layers()) {
                WandaInputs.Layer a = WandaInputs.of(batched, l);
                WandaInputs.Layer b = WandaInputs.of(alone, l);
                double[][] ma = MeanOutputs.of(batched, l);
                double[][] mb = MeanOutputs.of(alone, l);
                double[][] ga = RouterGram.of(batched, l);
                double[][] gb = RouterGram.of(alone, l);
                for (int e = 0; e < 8; e++) {
                    assertEquals(32, a.input(e).length);
                    assertEquals(16, a.intermediate(e).length);
                    assertArrayEquals(b.input(e), a.input(e), 1e-3);
                    assertArrayEquals(b.intermediate(e), a.intermediate(e), 1e-3);
                    assertArrayEquals(mb[e], ma[e], 1e-4);
                    assertArrayEquals(gb[e], ga[e], 1e-3);
                    assertEquals(ga[e][(e + 1) % 8], ga[(e + 1) % 8][e], 1e-9, "the Gram matrix is symmetric");
                }
                assertNotNull(a.sharedInput(), "qwen2_moe has a shared expert");
                assertArrayEquals(b.sharedInput(), a.sharedInput(), 1e-3);
                assertArrayEquals(b.sharedIntermediate(), a.sharedIntermediate(), 1e-3);
                assertEquals(5 * 17 - 10, a.tokens());
            }
        }
    }
}
