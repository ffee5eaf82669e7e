package dev.moefrontier.harness.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.testing.ChildJvm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The numerics modes, proven on the bundled libtorch: each knob the reproducible mode pins changes the bits when set
 * otherwise in the fast mode (so it takes effect in this build), and the reproducible mode gives the reference canary
 * whatever the machine-like environment says (ATen capability, MKL's instruction cap), with the knobs applied from Java
 * into a plain environment (the launcher's and a library user's path alike).
 */
@org.junit.jupiter.api.Tag("slow") // child JVMs, GB-sized tensors or whole sweeps: excluded by -Pfast
class NumericsTest {

    private static JsonObject environment(Map<String, String> env, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("doctor", "--numerics-json"));
        args.addAll(List.of(extra));
        ChildJvm.Result r = ChildJvm.frontier(env, 120, args.toArray(new String[0]));
        assertEquals(0, r.status(), r.out());
        String out = r.out();
        return JsonParser.parseString(out.substring(out.indexOf("{\n"), out.lastIndexOf('}') + 1)).getAsJsonObject();
    }

    private static String canary(JsonObject env) {
        return env.get("canary").getAsString();
    }

    /** The capabilities this CPU can stand in for (avx512 only where it has AVX-512). */
    private static List<String> capabilities() {
        List<String> caps = new ArrayList<>(List.of("default", "avx2"));
        if (CpuInfo.read().bestIsa().equals("avx512")) {
            caps.add("avx512");
        }
        return caps;
    }

    @Test
    void theTestJvmRunsPinnedWithTheBuildsSettingsEqualToWhatNumericsPins() {
        NumericEnvironment env = Numerics.environment();
        assertEquals(Numerics.Mode.REPRODUCIBLE, env.mode());
        assertEquals("AVX2", env.atenCapability());
        assertEquals("COMPATIBLE,STRICT", env.mklBranch());
        assertEquals(Numerics.THREADS, env.intraOpThreads());
        assertEquals(Boolean.TRUE, env.deterministicAlgorithms());
        assertTrue(env.overridden().isEmpty(), "pom.xml's surefire variables must equal Numerics.PINNED: " + env.overridden());
        assertEquals(NumericEnvironment.REFERENCE_CANARY, env.canary(), env.summary());
        for (String v : Numerics.PINNED.keySet()) {
            assertTrue(ChildJvm.NUMERIC_VARIABLES.contains(v), v + " is cleared for child JVMs");
        }
    }

    @Test
    void reproducibleModeGivesTheReferenceCanaryUnderEveryMachineStandIn() throws Exception {
        for (String cap : capabilities()) {
            for (String mkl : List.of("", "AVX2")) {
                Map<String, String> env = new HashMap<>(Map.of("ATEN_CPU_CAPABILITY", cap, "MKL_CBWR", "AUTO"));
                if (!mkl.isEmpty()) {
                    env.put("MKL_ENABLE_INSTRUCTIONS", mkl);
                }
                JsonObject e = environment(env);
                assertEquals("reproducible", e.get("mode").getAsString());
                assertEquals("AVX2", e.get("aten_cpu_capability").getAsString(), e.toString());
                assertEquals("COMPATIBLE,STRICT", e.get("mkl_cbwr").getAsString(), e.toString());
                assertEquals(NumericEnvironment.REFERENCE_CANARY, canary(e), "under " + env + ": " + e);
                if (!cap.equals("avx2")) {
                    assertEquals(cap, e.getAsJsonObject("overridden").get("ATEN_CPU_CAPABILITY").getAsString(), "recorded");
                }
            }
        }
    }

    @Test
    void theForwardKernelDigestsAreTheSameUnderEveryMachineStandIn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path inputs = tmp.resolve("inputs.json");
        java.nio.file.Files.writeString(inputs, "{\"input_ids\": [[3, 1, 4, 1, 5, 9, 2, 6]]}");
        String model = dev.moefrontier.harness.model.BundledModels.path(dev.moefrontier.harness.model.BundledModels.TINY_OLMOE).toString();
        Map<String, String> byCap = new HashMap<>();
        for (String cap : capabilities()) {
            ChildJvm.Result r = ChildJvm.frontier(Map.of("ATEN_CPU_CAPABILITY", cap), 120, "forward", "--model", model, "--inputs",
                    inputs.toString(), "--out", tmp.resolve(cap + ".safetensors").toString(), "--digests", "-q");
            assertEquals(0, r.status(), r.out());
            String digests = r.out().lines().filter(l -> l.matches("^(kernel\\.|moe_input|router_logits|topk_|logits).*")).reduce("", (a, b) -> a + b + "\n");
            assertTrue(digests.contains("kernel.attention.softmax") && digests.contains("logits.0"), digests);
            byCap.put(cap, digests);
        }
        assertEquals(1, new java.util.HashSet<>(byCap.values()).size(), "kernel and model digests per stand-in: " + byCap);
    }

    @Test
    void eachPinnedKnobChangesTheBitsInFastMode() throws Exception {
        // ATen's kernel capability: every pair of capabilities this CPU has gives different bits.
        Map<String, String> byCap = new HashMap<>();
        for (String cap : capabilities()) {
            JsonObject e = environment(Map.of("FRONTIER_NUMERICS", "fast", "ATEN_CPU_CAPABILITY", cap));
            assertEquals(cap.toUpperCase(java.util.Locale.ROOT), e.get("aten_cpu_capability").getAsString());
            assertTrue(byCap.put(canary(e), cap) == null, "capability " + cap + " gives the same canary as " + byCap.get(canary(e)));
        }
        // MKL's CNR branch (with ATen on the pinned capability, threads as pinned).
        Map<String, String> pinnedAten = Map.of("FRONTIER_NUMERICS", "fast", "ATEN_CPU_CAPABILITY", "avx2", "OMP_NUM_THREADS", "2");
        JsonObject mklDefault = environment(pinnedAten);
        Map<String, String> compatible = new HashMap<>(pinnedAten);
        compatible.put("MKL_CBWR", "COMPATIBLE,STRICT");
        JsonObject mklCompatible = environment(compatible);
        assertEquals("COMPATIBLE,STRICT", mklCompatible.get("mkl_cbwr").getAsString());
        assertNotEquals(canary(mklDefault), canary(mklCompatible), "MKL_CBWR takes effect");
        // With every pinned variable set by hand, the fast mode reproduces the reference canary ...
        Map<String, String> all = new HashMap<>(Numerics.PINNED);
        all.put("FRONTIER_NUMERICS", "fast");
        assertEquals(NumericEnvironment.REFERENCE_CANARY, canary(environment(all)));
        // ... and the thread count alone changes it.
        Map<String, String> oneThread = new HashMap<>(all);
        oneThread.put("OMP_NUM_THREADS", "1");
        oneThread.put("MKL_NUM_THREADS", "1");
        JsonObject single = environment(oneThread);
        assertEquals(1, single.get("intra_op_threads").getAsInt(), single.toString());
        assertNotEquals(NumericEnvironment.REFERENCE_CANARY, canary(single), "the intra-op thread count takes effect");
    }

    @Test
    void aThreadCountOtherThanThePinnedOneIsRefusedInReproducibleMode() throws Exception {
        ChildJvm.Result r = ChildJvm.frontier(Map.of(), 60, "forward", "--model", "x", "--inputs", "y", "--out", "z", "--threads", "1");
        assertEquals(2, r.status(), r.out());
        assertTrue(r.out().contains("--threads 1: reproducible numerics run libtorch with 2 intra-op threads"), r.out());
    }
}
