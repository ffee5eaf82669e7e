package dev.moefrontier.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.moefrontier.minis.MiniInspection;
import dev.moefrontier.harness.model.BundledModels;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed minis meet the quality bar of {@code frontier inspect}: held-out perplexity far below a unigram
 * baseline, accuracy well above chance on every domain, specialized routing, and a 66%-frequency-pruned model visibly
 * worse than the dense one.
 */
@org.junit.jupiter.api.Tag("slow") // child JVMs, GB-sized tensors or whole sweeps: excluded by -Pfast
class MiniQualityBarTest {
    @TempDir
    static Path cache;

    @BeforeAll
    static void quiet() {
        Progress.quiet(true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"olmoe-mini", "qwen35-mini-a", "qwen35-mini-b"})
    void meetsTheQualityBar(String name) throws IOException {
        Path dir = BundledModels.path(name);
        try (MoeTransformer m = MoeTransformer.open(dir)) { // the paper backbones' expert topology
            assertEquals(name.startsWith("olmoe") ? 64 : 256, m.config().moe().numExperts());
            assertEquals(8, m.config().moe().topK());
            assertEquals(!name.startsWith("olmoe"), m.config().moe().sharedIntermediate() > 0);
        }
        MiniInspection.Report r = MiniInspection.run(dir, BundledModels.path(BundledModels.MINI_DATA), cache);
        assertEquals(4, r.checks().size(), "every criterion was evaluated");
        for (MiniInspection.Check c : r.checks()) {
            assertTrue(c.passed(), name + ": " + c.criterion() + " (" + c.detail() + ")");
        }
    }
}
