package dev.moefrontier.plots;

import dev.moefrontier.harness.sweep.RunSummary;
import java.awt.Color;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One colour per compressor label for every figure of a run, so a compressor looks the same in the frontier, the
 * hybrid frontier and the balance curves. Colours follow the run's compressor order (the spec's order); HodgeCover is
 * always red and the dense reference black; an X+Wanda hybrid takes X's colour and is drawn dashed.
 */
final class Palette {
    static final Color DENSE = Color.BLACK;
    static final Color HODGECOVER = new Color(0xd6, 0x27, 0x28);

    // Tableau-20 without its reds (reserved for HodgeCover), dark then light.
    private static final int[] RGB = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
        0xaec7e8, 0xffbb78, 0x98df8a, 0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5, 0x393b79, 0x637939, 0x8c6d31,
        0x843c39, 0x7b4173};

    private final Map<String, Color> colors = new LinkedHashMap<>();

    Palette(List<String> compressors) {
        int next = 0;
        for (String c : compressors) {
            if (hybrid(c)) {
                continue;
            }
            if (c.equals("hodgecover")) {
                colors.put(c, HODGECOVER);
            } else {
                colors.put(c, new Color(RGB[next++ % RGB.length]));
            }
        }
    }

    Color of(String label) {
        String stage = RunSummary.expertStage(name(label));
        return colors.getOrDefault(stage != null ? stage : label, Color.GRAY);
    }

    /** A hybrid (declared by its compressor): drawn dashed in its expert stage's colour. */
    static boolean hybrid(String label) {
        return RunSummary.level(name(label)) == dev.moefrontier.harness.spi.Compressor.Level.HYBRID;
    }

    /** The compressor name of a label ("name" or "name (options)"). */
    private static String name(String label) {
        int p = label.indexOf(" (");
        return p < 0 ? label : label.substring(0, p);
    }
}
