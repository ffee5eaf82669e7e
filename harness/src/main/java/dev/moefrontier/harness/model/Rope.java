package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Default (unscaled) rotary embedding on the first {@code rd} dimensions of each head, half-split pairing:
 * dimension i pairs with i + rd/2; {@code inv_freq[i] = theta^(-2i/rd)}. Angles are computed in double precision.
 * With text-only input Qwen3.5's M-RoPE has identical position rows and reduces to this.
 */
final class Rope {
    private final NDManager manager;
    private final double theta;
    private final int rotaryDim;
    private final int headDim;
    private NDArray cos; // [capacity, rd]
    private NDArray sin;
    private int capacity;

    Rope(NDManager manager, double theta, int rotaryDim, int headDim) {
        this.manager = manager;
        this.theta = theta;
        this.rotaryDim = rotaryDim;
        this.headDim = headDim;
    }

    /**
     * cos and sin [T, rd] for positions 0..T-1, as slices in {@code scope}. One table is kept and grown by doubling,
     * so memory does not grow with the number of distinct lengths seen.
     */
    private synchronized NDArray[] table(int len, NDManager scope) {
        if (len > capacity) {
            int cap = Math.max(256, capacity);
            while (cap < len) {
                cap *= 2;
            }
            if (cos != null) {
                cos.close();
                sin.close();
            }
            int half = rotaryDim / 2;
            float[] c = new float[cap * rotaryDim];
            float[] s = new float[cap * rotaryDim];
            for (int i = 0; i < half; i++) {
                double invFreq = Math.pow(theta, -2.0 * i / rotaryDim);
                for (int p = 0; p < cap; p++) {
                    double a = p * invFreq;
                    c[p * rotaryDim + i] = c[p * rotaryDim + i + half] = (float) Math.cos(a);
                    s[p * rotaryDim + i] = s[p * rotaryDim + i + half] = (float) Math.sin(a);
                }
            }
            cos = manager.create(c, new Shape(cap, rotaryDim));
            sin = manager.create(s, new Shape(cap, rotaryDim));
            capacity = cap;
        }
        NDIndex rows = new NDIndex(":{}", len);
        return new NDArray[] {cos.get(scope, rows), sin.get(scope, rows)};
    }

    /** The cos and sin tables of positions 0..len-1, for {@link KernelDigests}. */
    NDArray[] tableForDigest(int len, NDManager scope) {
        return table(len, scope);
    }

    /** Rotates x [B, heads, T, hd]. */
    NDArray apply(NDArray x) {
        int len = (int) x.getShape().get(2);
        NDArray[] cs = table(len, x.getManager());
        if (rotaryDim == headDim) {
            return rotate(x, cs);
        }
        NDArray rot = x.get(new NDIndex("..., :{}", rotaryDim));
        NDArray pass = x.get(new NDIndex("..., {}:", rotaryDim));
        return NDArrays.concat(new NDList(rotate(rot, cs), pass), -1);
    }

    private NDArray rotate(NDArray x, NDArray[] cs) {
        int half = rotaryDim / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1); // rotate_half
        return x.mul(cs[0]).add(rotated.mul(cs[1]));
    }
}
