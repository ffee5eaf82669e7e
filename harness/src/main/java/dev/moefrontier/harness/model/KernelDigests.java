package dev.moefrontier.harness.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A digest of each kernel of the forward path, run through the runtime's own functions ({@link Ops}, {@link Rope},
 * the grouped attention product) at a small OLMoE-like shape on seeded inputs, one at a time. Two machines whose model
 * digests differ but whose canary agrees compare these to name the first kernel that computes other bits (methods.md
 * §10); the RoPE tables, computed in Java, are digested on their own.
 */
public final class KernelDigests {
    private KernelDigests() {}

    /** Kernel name → first 16 hex digits of the SHA-256 of its float32 output bits, in forward order. */
    public static Map<String, String> run() {
        Map<String, String> out = new LinkedHashMap<>();
        long b = 2;
        long t = 64;
        int h = 48;
        int nh = 6;
        int nkv = 3;
        int hd = 8;
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray x = m.create(inputs(1, b * t * h), new Shape(b, t, h)); // [B, T, H]
            NDArray normW = m.create(inputs(2, h)).add(1f);
            NDArray wqT = m.create(inputs(3, (long) h * nh * hd), new Shape(h, (long) nh * hd)).mul(0.2f);
            NDArray wkT = m.create(inputs(4, (long) h * nkv * hd), new Shape(h, (long) nkv * hd)).mul(0.2f);
            NDArray xn = Ops.rmsNorm(x, normW, 1e-5f);
            put(out, "rms_norm", xn);
            NDArray q = Ops.linear(xn, wqT, null); // [B, T, nh*hd]
            put(out, "linear.q", q);
            NDArray k = Ops.linear(xn, wkT, null);
            put(out, "linear.k", k);
            NDArray qn = Ops.rmsNorm(q, m.create(inputs(5, (long) nh * hd)).add(1f), 1e-5f);
            put(out, "rms_norm.q_full_width", qn);
            put(out, "square", q.square());
            put(out, "mean_last", q.square().mean(new int[] {-1}, true));
            put(out, "sqrt", q.square().mean(new int[] {-1}, true).add(1e-5f).sqrt());
            put(out, "div", q.div(q.square().mean(new int[] {-1}, true).add(1e-5f).sqrt()));
            Rope rope = new Rope(m, 10000.0, hd, hd);
            NDArray qh = qn.reshape(b, t, nh, hd).transpose(0, 2, 1, 3); // [B, nh, T, hd]
            NDArray kh = k.reshape(b, t, nkv, hd).transpose(0, 2, 1, 3); // [B, nkv, T, hd]
            NDArray qr = rope.apply(qh);
            NDArray kr = rope.apply(kh);
            NDArray[] table = rope.tableForDigest((int) t, m);
            put(out, "rope.cos_table", table[0]);
            put(out, "rope.sin_table", table[1]);
            put(out, "rope.apply_q", qr);
            put(out, "rope.apply_k", kr);
            float[] mk = new float[(int) (t * t)];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    mk[(int) (i * t + j)] = j <= i ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
            NDArray mask = m.create(mk, new Shape(t, t));
            int g = nh / nkv;
            NDArray qg = qr.reshape(b, nkv, g, t, hd);
            NDArray kg = kr.expandDims(2);
            NDArray raw = qg.matMul(kg.transpose(0, 1, 2, 4, 3)); // [B, nkv, g, T, T]
            put(out, "attention.qk_matmul", raw);
            NDArray scores = raw.mul(1.0 / Math.sqrt(hd)).add(mask);
            put(out, "attention.scaled_masked", scores);
            NDArray probs = scores.softmax(-1);
            put(out, "attention.softmax", probs);
            NDArray v = m.create(inputs(6, b * nkv * t * hd), new Shape(b, nkv, 1, t, hd));
            put(out, "attention.pv_matmul", probs.matMul(v));
            NDArray router = Ops.linear(xn, m.create(inputs(7, (long) h * 8), new Shape(h, 8)), null);
            put(out, "router.linear", router);
            NDArray rp = router.softmax(-1);
            put(out, "router.softmax", rp);
            NDList top = rp.topK(2, -1, true, true);
            put(out, "router.topk_values", top.get(0));
            int inter = 32;
            NDArray gateUpT = m.create(inputs(8, (long) h * 2 * inter), new Shape(h, 2L * inter)).mul(0.2f);
            NDArray downT = m.create(inputs(9, (long) inter * h), new Shape(inter, h)).mul(0.2f);
            NDArray rows = xn.reshape(b * t, h);
            put(out, "expert.silu", Ops.silu(rows.matMul(gateUpT)));
            put(out, "expert.swiglu", Ops.swiglu(rows, gateUpT, downT));
            put(out, "expert.weighted_sum", Ops.swiglu(rows.get(":5"), gateUpT, downT).mul(m.create(inputs(10, 5), new Shape(5, 1))));
            put(out, "log_softmax", router.logSoftmax(-1));
        }
        return out;
    }

    private static void put(Map<String, String> out, String name, NDArray a) {
        out.put(name, digest(a.toFloatArray()));
    }

    /** The first 16 hex digits of the SHA-256 of the float32 bits (little-endian). */
    public static String digest(float[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer bb = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : data) {
                bb.putFloat(f);
            }
            md.update(bb.array());
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static float[] inputs(long seed, long n) {
        SplittableRandom r = new SplittableRandom(0x6b65726eL + seed);
        float[] x = new float[(int) n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }
}
