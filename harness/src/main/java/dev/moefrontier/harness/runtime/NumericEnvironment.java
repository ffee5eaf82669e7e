package dev.moefrontier.harness.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonObject;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What libtorch computes with in this process, as read back from it: the numerics mode, the CPU (model, vendor, widest
 * instruction set), the ATen kernel capability and MKL branch in force, library versions, thread counts, deterministic
 * algorithms, the variables the mode overrode, and a canary: a hash of a fixed battery of kernels (GEMM, batched GEMM,
 * softmax, log-softmax, SiLU, exp, RMS norm, a long reduction, a matrix-vector product) on fixed inputs. Two processes
 * with the same canary produce the same bits for these kernels; {@link #REFERENCE_CANARY} is its value in the
 * reproducible mode, the one the tracked references were made with.
 *
 * @param mode reproducible or fast
 * @param cpuModel /proc/cpuinfo model name
 * @param cpuVendor GenuineIntel, AuthenticAMD, ...
 * @param cpuIsa the widest vector instruction set the CPU offers (avx512, avx2, ...)
 * @param atenCapability the capability ATen dispatches to (DEFAULT, AVX2, AVX512), null if unreadable
 * @param mklVersion MKL's version string, null if unreadable
 * @param mklBranchCode {@code mkl_cbwr_get(MKL_CBWR_ALL)}, null if unreadable
 * @param onednnVersion oneDNN version, null if unreadable
 * @param torchVersion libtorch version
 * @param intraOpThreads ATen intra-op threads
 * @param interOpThreads ATen inter-op threads
 * @param deterministicAlgorithms ATen's deterministic-algorithms flag, null if unreadable
 * @param overridden variables and properties the reproducible mode replaced, with their previous values
 * @param canary hash of the kernel battery (16 hex digits)
 */
public record NumericEnvironment(Numerics.Mode mode, String cpuModel, String cpuVendor, String cpuIsa, String atenCapability,
        String mklVersion, Integer mklBranchCode, String onednnVersion, String torchVersion, int intraOpThreads, int interOpThreads,
        Boolean deterministicAlgorithms, Map<String, String> overridden, String canary) {

    /**
     * The canary in the reproducible mode. If a machine with AVX2 reports another value, the pinning did not take
     * effect there or does not hold on that CPU, and its results may differ from the references.
     */
    public static final String REFERENCE_CANARY = "6a0aa1439cfc4bf8";

    public NumericEnvironment {
        overridden = Map.copyOf(overridden);
    }

    /** Reads everything back from the running engine (sets deterministic algorithms first in the reproducible mode). */
    static NumericEnvironment probe(Numerics.Mode mode, Map<String, String> overridden) {
        CpuInfo cpu = CpuInfo.read();
        NativeLibrary lib = Numerics.libtorch();
        String cap = null;
        String mkl = null;
        Integer cbwr = null;
        String onednn = null;
        Boolean det = null;
        if (lib != null) {
            cap = Numerics.cxxString(lib, "_ZN2at18get_cpu_capabilityB5cxx11Ev");
            if ("NO AVX".equals(cap)) {
                cap = "DEFAULT"; // ATen's name for its baseline kernels, as ATEN_CPU_CAPABILITY spells it
            }
            try {
                Memory buf = new Memory(256);
                buf.clear();
                lib.getFunction("MKL_Get_Version_String").invoke(void.class, new Object[] {buf, 255});
                mkl = buf.getString(0).trim();
                cbwr = lib.getFunction("mkl_serv_cbwr_get").invokeInt(new Object[] {-1});
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                // not an MKL build
            }
            String config = Numerics.cxxString(lib, "_ZN2at11show_configB5cxx11Ev");
            if (config != null) {
                Matcher m = Pattern.compile("MKL-DNN (v[0-9.]+)").matcher(config);
                onednn = m.find() ? m.group(1) : null;
            }
            det = Numerics.deterministicAlgorithms(lib, mode == Numerics.Mode.REPRODUCIBLE ? Boolean.TRUE : null);
        }
        return new NumericEnvironment(mode, cpu.model(), cpu.vendor(), cpu.bestIsa(), cap, mkl, cbwr, onednn,
                ai.djl.engine.Engine.getEngine("PyTorch").getVersion(), JniUtils.getNumThreads(), JniUtils.getNumInteropThreads(), det,
                overridden, computeCanary());
    }

    /** MKL's branch as its {@code MKL_CBWR} name ({@code COMPATIBLE,STRICT}, {@code AUTO}, ...), or null. */
    public String mklBranch() {
        if (mklBranchCode == null) {
            return null;
        }
        int b = mklBranchCode & 0xFFFF;
        String name = switch (b) {
            case 0 -> "OFF";
            case 1 -> "BRANCH_OFF";
            case 2 -> "AUTO";
            case 3 -> "COMPATIBLE";
            case 4 -> "SSE2";
            case 6 -> "SSSE3";
            case 7 -> "SSE4_1";
            case 8 -> "SSE4_2";
            case 9 -> "AVX";
            case 10 -> "AVX2";
            case 12 -> "AVX512";
            case 14 -> "AVX512_E1";
            default -> Integer.toString(b);
        };
        return (mklBranchCode & 0x10000) != 0 ? name + ",STRICT" : name;
    }

    /** Whether the canary equals the reproducible references' value. */
    public boolean matchesReference() {
        return REFERENCE_CANARY.equals(canary);
    }

    /** A short cache-key fragment: results computed under equal keys are interchangeable. */
    public String cacheKey() {
        String s = mode.id() + "|" + canary + "|" + atenCapability + "|" + mklBranch() + "|" + intraOpThreads + "|" + torchVersion;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return mode.id() + "-" + HexFormat.of().formatHex(d).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line for logs and reports. */
    public String summary() {
        return mode.id() + " (ATen " + atenCapability + ", MKL " + mklBranch() + ", " + intraOpThreads + " threads, canary " + canary
                + (mode == Numerics.Mode.REPRODUCIBLE ? (matchesReference() ? " = reference" : " != reference " + REFERENCE_CANARY) : "")
                + ") on " + cpuModel + " [" + cpuIsa + "]";
    }

    /** The fields as an ordered map (manifest.json, result.json, environment.json). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode.id());
        m.put("cpu_model", cpuModel);
        m.put("cpu_vendor", cpuVendor);
        m.put("cpu_isa", cpuIsa);
        m.put("aten_cpu_capability", atenCapability);
        m.put("blas", mklVersion == null ? null : "MKL " + mklVersion.replaceAll("^Intel\\(R\\) oneAPI Math Kernel Library Version ", "")
                .replaceAll(" for Intel\\(R\\) 64 architecture applications$", ""));
        m.put("mkl_cbwr", mklBranch());
        m.put("onednn", onednnVersion);
        m.put("libtorch", torchVersion + " (cpu, linux-x86_64)");
        m.put("intra_op_threads", intraOpThreads);
        m.put("inter_op_threads", interOpThreads);
        m.put("deterministic_algorithms", deterministicAlgorithms);
        m.put("overridden", overridden);
        m.put("canary", canary);
        m.put("canary_matches_reference", matchesReference());
        return m;
    }

    /** As JSON. */
    public JsonObject toJson() {
        return toJson(toMap());
    }

    /** A map of strings, numbers, booleans, nulls and nested maps as JSON. */
    static JsonObject toJson(Map<String, Object> m) {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            if (v == null) {
                o.add(e.getKey(), com.google.gson.JsonNull.INSTANCE);
            } else if (v instanceof Number n) {
                o.addProperty(e.getKey(), n);
            } else if (v instanceof Boolean b) {
                o.addProperty(e.getKey(), b);
            } else if (v instanceof Map<?, ?> mm) {
                JsonObject sub = new JsonObject();
                mm.forEach((k, x) -> sub.addProperty(String.valueOf(k), String.valueOf(x)));
                o.add(e.getKey(), sub);
            } else {
                o.addProperty(e.getKey(), v.toString());
            }
        }
        return o;
    }

    /** The fields of a recorded environment (from {@link #toJson}) that differ from this one, as "key: a vs b" lines. */
    public static java.util.List<String> differences(JsonObject a, JsonObject b) {
        java.util.List<String> out = new java.util.ArrayList<>();
        java.util.Set<String> keys = new java.util.LinkedHashSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (String k : keys) {
            String x = a.has(k) ? a.get(k).toString() : "—";
            String y = b.has(k) ? b.get(k).toString() : "—";
            if (!x.equals(y)) {
                out.add(k + ": " + x + " vs " + y);
            }
        }
        return out;
    }

    /** Hash of a fixed battery of CPU kernels on fixed inputs (see the class comment). */
    static String computeCanary() {
        long h = 0xcbf29ce484222325L;
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray a = m.create(inputs(1, 96 * 200), new Shape(96, 200));
            NDArray b = m.create(inputs(2, 200 * 80), new Shape(200, 80));
            NDArray wide = m.create(inputs(3, 64 * 333), new Shape(64, 333)).mul(4f);
            NDArray longVec = m.create(inputs(4, 100_003));
            NDArray[] outs = {
                a.matMul(b), // MKL sgemm
                m.create(inputs(5, 4 * 33 * 64), new Shape(4, 33, 64)).matMul(m.create(inputs(6, 4 * 64 * 40), new Shape(4, 64, 40))),
                wide.softmax(-1),
                wide.logSoftmax(-1),
                longVec.mul(longVec.getNDArrayInternal().sigmoid()), // SiLU, vectorized with a tail
                longVec.exp(),
                wide.mul(wide.square().mean(new int[] {-1}, true).add(1e-6f).pow(-0.5f)), // RMS norm
                longVec.sum(), // parallel reduction
                m.create(inputs(7, 333 * 200), new Shape(333, 200)).matMul(m.create(inputs(8, 200), new Shape(200, 1))), // gemv
            };
            for (NDArray o : outs) {
                for (float f : o.toFloatArray()) {
                    h ^= Float.floatToRawIntBits(f);
                    h *= 0x100000001b3L;
                }
            }
        }
        return String.format("%016x", h);
    }

    private static float[] inputs(long seed, int n) {
        SplittableRandom r = new SplittableRandom(0x5eed0000L + seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }
}
