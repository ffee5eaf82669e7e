package dev.moefrontier.harness.compress;

import dev.moefrontier.harness.spi.Registry;
import dev.moefrontier.harness.spi.WeightMaskRule;
import java.security.MessageDigest;

/** Boolean weight masks: the registered {@link WeightMaskRule}s, zeroing, and the checksum a plan records. */
public final class WeightMasks {
    private static volatile Registry<WeightMaskRule> rules;

    private WeightMasks() {}

    /** The rule a mask spec names; an unknown name is an error listing the known ones. */
    public static WeightMaskRule rule(MaskSpec spec) {
        Registry<WeightMaskRule> r = rules;
        if (r == null) {
            r = Registry.load(WeightMaskRule.class, "weight-mask rule");
            rules = r;
        }
        return r.get(spec.method());
    }

    /** Zeroes the pruned positions of {@code w} in place. */
    public static void apply(float[] w, boolean[] keep) {
        for (int i = 0; i < w.length; i++) {
            if (!keep[i]) {
                w[i] = 0f;
            }
        }
    }

    /** Feeds a mask into a checksum, 8 positions per byte. */
    public static void digest(MessageDigest md, boolean[] keep) {
        byte[] bits = new byte[(keep.length + 7) / 8];
        for (int i = 0; i < keep.length; i++) {
            if (keep[i]) {
                bits[i >> 3] |= (byte) (1 << (i & 7));
            }
        }
        md.update(bits);
    }
}
