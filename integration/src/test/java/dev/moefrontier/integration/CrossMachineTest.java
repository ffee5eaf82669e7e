package dev.moefrontier.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.runtime.CpuInfo;
import dev.moefrontier.harness.runtime.NumericEnvironment;
import dev.moefrontier.harness.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stands in for other machines: the CI sweep ({@code scripts/sweeps/ci.yaml}) in separate JVMs, each from a plain
 * environment that selects another ATen kernel capability (default, avx2, and avx512 where this CPU has it), in the
 * default (reproducible) numerics mode with a cache of its own. Every run must make identical plans for every cell,
 * pass {@code frontier check} against the tracked reference, and record the reference canary with the variable it
 * overrode.
 */
@org.junit.jupiter.api.Tag("slow") // child JVMs, GB-sized tensors or whole sweeps: excluded by -Pfast
class CrossMachineTest {
    @TempDir
    Path tmp;

    @Test
    void theCiSweepMakesTheSamePlansAndPassesTheCheckUnderEveryKernelCapability() throws Exception {
        List<String> caps = new ArrayList<>(List.of("default", "avx2"));
        if (CpuInfo.read().bestIsa().equals("avx512")) {
            caps.add("avx512");
        }
        Map<String, List<String>> plans = new LinkedHashMap<>();
        for (String cap : caps) {
            Path out = tmp.resolve("run-" + cap);
            ChildJvm.Result r = ChildJvm.frontier(Map.of("ATEN_CPU_CAPABILITY", cap), 600, "sweep", SweepEndToEndTest.CI_SPEC.toString(),
                    "--out", out.toString(), "--cache", tmp.resolve("cache-" + cap).toString(), "--quiet");
            assertEquals(0, r.status(), "sweep under ATEN_CPU_CAPABILITY=" + cap + ":\n" + r.out());
            ChildJvm.Result check = ChildJvm.frontier(Map.of(), 120, "check", out.toString(), "--against",
                    SweepEndToEndTest.CI_REFERENCE.toString());
            assertEquals(0, check.status(), "check under ATEN_CPU_CAPABILITY=" + cap + ":\n" + check.out());
            assertTrue(check.out().contains(" plans identical"), check.out());
            JsonObject env = JsonParser.parseString(Files.readString(out.resolve("environment.json"))).getAsJsonObject();
            assertEquals("AVX2", env.get("aten_cpu_capability").getAsString());
            assertEquals(NumericEnvironment.REFERENCE_CANARY, env.get("canary").getAsString());
            if (!cap.equals("avx2")) {
                assertEquals(cap, env.getAsJsonObject("overridden").get("ATEN_CPU_CAPABILITY").getAsString());
            }
            plans.put(cap, Files.readAllLines(out.resolve("plans.jsonl")));
        }
        List<String> first = plans.get(caps.get(0));
        assertTrue(first.size() >= 16, "every compressed cell has a plan: " + first.size());
        for (String cap : caps) {
            assertEquals(first, plans.get(cap), "plans under " + cap + " equal those under " + caps.get(0));
        }
    }
}
