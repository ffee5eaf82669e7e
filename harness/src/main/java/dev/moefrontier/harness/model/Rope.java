package dev.moefrontier.harness.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.HashMap;
import java.util.Map;

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
    private final Map<Integer, NDArray[]> tables = new HashMap<>();

    Rope(NDManager manager, double theta, int rotaryDim, int headDim) {
        this.manager = manager;
        this.theta = theta;
        this.rotaryDim = rotaryDim;
        this.headDim = headDim;
    }

    /** cos and sin, each [T, rd], for positions 0..T-1. */
    private synchronized NDArray[] table(int len) {
        return tables.computeIfAbsent(len, t -> {
            int half = rotaryDim / 2;
            float[] cos = new float[t * rotaryDim];
            float[] sin = new float[t * rotaryDim];
            for (int i = 0; i < half; i++) {
                double invFreq = Math.pow(theta, -2.0 * i / rotaryDim);
                for (int p = 0; p < t; p++) {
                    double a = p * invFreq;
                    float c = (float) Math.cos(a);
                    float s = (float) Math.sin(a);
                    cos[p * rotaryDim + i] = c;
                    cos[p * rotaryDim + i + half] = c;
                    sin[p * rotaryDim + i] = s;
                    sin[p * rotaryDim + i + half] = s;
                }
            }
            return new NDArray[] {
                manager.create(cos, new ai.djl.ndarray.types.Shape(t, rotaryDim)),
                manager.create(sin, new ai.djl.ndarray.types.Shape(t, rotaryDim))
            };
        });
    }

    /** Rotates x [B, heads, T, hd]. */
    NDArray apply(NDArray x) {
        int len = (int) x.getShape().get(2);
        NDArray[] cs = table(len);
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
        return x.mul(cs[0]).addi(rotated.muli(cs[1]));
    }
}
