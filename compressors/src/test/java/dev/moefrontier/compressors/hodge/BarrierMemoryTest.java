package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory bound of merge barriers, measured in a child JVM: local barriers of a layer whose reference distributions
 * alone (1,024 tokens × 32,768 vocabulary: 134 MB) do not fit beside its fixed part (two 256 MiB blocks and the layer's
 * cached states) and whose unblocked pair batches (hundreds of rows × every partner × the vocabulary, about 1 GB) exceed
 * a 700 MiB budget stay within it (peak resident growth while the barriers run).
 */
@org.junit.jupiter.api.Tag("slow") // child JVMs, GB-sized tensors or whole sweeps: excluded by -Pfast
class BarrierMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void localBarriersStayWithinASmallBudget() throws Exception {
        Path model = tmp.resolve("olmoe");
        SyntheticCheckpoint.of("olmoe").layers(2).hidden(256).heads(4, 4, 64).experts(8, 2, 128).vocab(32768).seed(5).write(model);
        Random r = new Random(1);
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int s = 0; s < 8; s++) {
            sb.append(s == 0 ? "" : ",").append(java.util.Arrays.toString(r.ints(128, 0, 32768).toArray()));
        }
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, sb.append("]}").toString());
        long budgetMb = 700;
        ChildJvm.Result res = ChildJvm.frontier(Map.of(), 600, "barriers", "--model", model.toString(), "--layer", "0", "--barrier", "local",
                "--barrier-memory", Long.toString(budgetMb), "--calibration", ids.toString(), "--no-cache", "--triangle-cap", "20",
                "--out", tmp.resolve("b.json").toString(), "--quiet");
        assertEquals(0, res.status(), res.out());
        Matcher m = Pattern.compile("memory budget ([0-9.]+) (MB|GB), peak RSS .* \\(\\+([0-9.]+) (MB|GB) since").matcher(res.out());
        assertTrue(m.find(), res.out());
        double growth = Double.parseDouble(m.group(3)) * (m.group(4).equals("GB") ? 1e9 : 1e6);
        assertTrue(growth <= budgetMb * (1 << 20), "peak growth " + growth / 1e6 + " MB within the " + budgetMb + " MiB budget: " + res.out());
        assertTrue(growth > 0, res.out());
    }
}
