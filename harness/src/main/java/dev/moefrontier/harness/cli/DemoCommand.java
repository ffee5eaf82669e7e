package dev.moefrontier.harness.cli;

import dev.moefrontier.harness.model.BundledModels;
import dev.moefrontier.harness.model.ForwardObserver;
import dev.moefrontier.harness.model.InputsFile;
import dev.moefrontier.harness.model.ModelConfig;
import dev.moefrontier.harness.model.MoeLayerEvent;
import dev.moefrontier.harness.model.MoeTransformer;
import dev.moefrontier.harness.model.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code frontier demo}: until the embedded sweep exists, a routed forward of the bundled tiny model. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {
            "Run the main job on the embedded default.",
            "For now: a forward pass of the bundled tiny OLMoE (2 layers, 8 experts, top-2, random weights) printing",
            "each token's top-k routing and the expert load; with --out, also routing.csv",
            "(sequence,position,token,layer,rank,expert,weight)."
        })
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", description = "Also write routing.csv into DIR.")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    private record Choice(int seq, int pos, int token, int layer, int rank, int expert, float weight) {}

    @Override
    public Integer call() throws IOException {
        Path dir = BundledModels.path(BundledModels.TINY_OLMOE);
        List<int[]> seqs = InputsFile.read(dir.resolve("inputs.json"));
        List<Choice> choices = new ArrayList<>();
        Map<Integer, long[]> load = new TreeMap<>();
        try (MoeTransformer model = runtime.open(dir)) {
            ModelConfig c = model.config();
            int k = c.moe().topK();
            System.out.printf("MoE Frontier demo: bundled tiny %s (random weights; %d layers, %d experts, top-%d, %s)%n%n",
                    c.modelType(), c.numLayers(), c.moe().numExperts(), k, model.manager().getDevice().getDeviceType());
            TokenBatch batch = new TokenBatch(seqs);
            model.forward(batch, new ForwardObserver() {
                @Override
                public void onMoe(MoeLayerEvent e) {
                    long[] idx = e.topkIndexArray();
                    float[] w = e.topkWeightArray();
                    long[] counts = load.computeIfAbsent(e.layer(), l -> new long[e.numExperts()]);
                    for (int r = 0; r < batch.rows(); r++) {
                        int s = batch.sequenceOfRow(r);
                        int p = batch.positionOfRow(r);
                        for (int j = 0; j < k; j++) {
                            int ex = (int) idx[r * k + j];
                            counts[ex]++;
                            choices.add(new Choice(s, p, batch.sequence(s)[p], e.layer(), j, ex, w[r * k + j]));
                        }
                    }
                }
            }, model.manager()).close();
            printTable(seqs, choices, c.moeLayers(), k);
            System.out.println();
            long tokens = seqs.stream().mapToLong(s -> s.length).sum();
            System.out.printf("Expert load over %d tokens (share of top-%d assignments):%n", tokens, k);
            for (Map.Entry<Integer, long[]> e : load.entrySet()) {
                StringBuilder sb = new StringBuilder(String.format("  layer %d:", e.getKey()));
                for (int ex = 0; ex < e.getValue().length; ex++) {
                    sb.append(String.format("  e%d %3.0f%%", ex, 100.0 * e.getValue()[ex] / (tokens * k)));
                }
                System.out.println(sb);
            }
        }
        if (out != null) {
            Files.createDirectories(out);
            StringBuilder csv = new StringBuilder("sequence,position,token,layer,rank,expert,weight\n");
            for (Choice ch : choices) {
                csv.append(ch.seq()).append(',').append(ch.pos()).append(',').append(ch.token()).append(',')
                        .append(ch.layer()).append(',').append(ch.rank()).append(',').append(ch.expert()).append(',')
                        .append(ch.weight()).append('\n');
            }
            Path f = out.resolve("routing.csv");
            dev.moefrontier.harness.util.AtomicFiles.writeString(f, csv);
            System.out.println();
            System.out.println("wrote " + f);
        }
        System.out.println();
        System.out.println("Next: 'frontier forward --help' runs your own checkpoint; 'frontier doctor' checks the install.");
        return 0;
    }

    private static void printTable(List<int[]> seqs, List<Choice> choices, List<Integer> layers, int k) {
        int colWidth = Math.max("layer 00 (expert:weight)".length(), k * 8);
        for (int s = 0; s < seqs.size(); s++) {
            System.out.printf("sequence %d (%d tokens)%n", s, seqs.get(s).length);
            StringBuilder head = new StringBuilder("   pos  token");
            for (int l : layers) {
                head.append(" | ").append(pad("layer " + l + " (expert:weight)", colWidth));
            }
            System.out.println(head);
            for (int p = 0; p < seqs.get(s).length; p++) {
                StringBuilder row = new StringBuilder(String.format("  %4d  %5d", p, seqs.get(s)[p]));
                for (int l : layers) {
                    StringBuilder cell = new StringBuilder();
                    for (Choice ch : choices) {
                        if (ch.seq() == s && ch.pos() == p && ch.layer() == l) {
                            cell.append(String.format("e%d:%.2f ", ch.expert(), ch.weight()));
                        }
                    }
                    row.append(" | ").append(pad(cell.toString().trim(), colWidth));
                }
                System.out.println(row);
            }
        }
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }
}
