package dev.moefrontier.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import dev.moefrontier.harness.model.SyntheticCheckpoint;
import dev.moefrontier.harness.util.Memory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layer streaming keeps peak memory near one layer: a checkpoint several times larger than the JVM heap runs with
 * {@code --residency stream} in a fresh JVM, whose peak RSS grows by a small fraction of the checkpoint, while the
 * same forward with resident layers grows by at least the checkpoint (showing the measurement can tell them apart).
 */
@org.junit.jupiter.api.Tag("slow") // child JVMs, GB-sized tensors or whole sweeps: excluded by -Pfast
class StreamingMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void streamedForwardStaysNearOneLayer() throws Exception {
        assumeTrue(Memory.available(), "peak RSS is read from /proc/self/status (Linux only)");
        Path dir = tmp.resolve("ckpt");
        int layers = 10;
        long bytes = SyntheticCheckpoint.of("olmoe").layers(layers).hidden(256).heads(4, 4, 64).experts(32, 4, 256)
                .vocab(512).seed(4).write(dir);
        int heapMb = 64;
        assertTrue(bytes > 3L * heapMb * 1_000_000, "checkpoint several times the heap: " + bytes);
        JsonObject stream = BenchStreamProbe.probe(dir, "stream", heapMb);
        JsonObject resident = BenchStreamProbe.probe(dir, "resident", heapMb);
        long streamGrowth = stream.get("peak_rss").getAsLong() - stream.get("rss_before_model").getAsLong();
        long residentGrowth = resident.get("peak_rss").getAsLong() - resident.get("rss_before_model").getAsLong();
        System.out.printf("checkpoint %s (%d layers), heap %d MB: stream +%s, resident +%s%n", Memory.human(bytes), layers,
                heapMb, Memory.human(streamGrowth), Memory.human(residentGrowth));
        assertEquals(stream.get("checksum").getAsDouble(), resident.get("checksum").getAsDouble(), 0.0, "same logits");
        assertTrue(residentGrowth > 0.9 * bytes, "resident layers occupy the checkpoint: +" + residentGrowth);
        assertTrue(streamGrowth < 0.4 * bytes, "streamed peak stays near a few layers: +" + streamGrowth + " of " + bytes);
    }
}
