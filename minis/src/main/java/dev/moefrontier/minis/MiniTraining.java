package dev.moefrontier.minis;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.calib.Tokenization;
import dev.moefrontier.harness.io.DType;
import dev.moefrontier.harness.model.TensorLayout;
import dev.moefrontier.harness.util.AtomicFiles;
import dev.moefrontier.harness.util.Progress;
import dev.moefrontier.harness.util.Provenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code frontier train-mini}: tokenizer, initialization, training and export of one mini into a Hugging Face checkpoint
 * directory ({@code config.json}, {@code model.safetensors} in F16 (an 11-bit mantissa: rounding barely moves these small
 * models, where BF16's 8 bits visibly would), {@code tokenizer.json}, {@code manifest.json} with
 * the command, seed, corpus version, steps, losses and wall time). The directory appears complete or not at all.
 */
public final class MiniTraining {
    /** Corpus lines the tokenizer is trained on. */
    static final int TOKENIZER_LINES = 20_000;

    private MiniTraining() {}

    /** Trains the shared tokenizer (deterministic) into {@code dir/tokenizer.json}. */
    public static BpeTrainer.Result tokenizer(Path dir, int vocab) throws IOException {
        List<String> texts = new ArrayList<>();
        for (Corpus.Line l : Corpus.lines(Corpus.Split.TRAIN, 0, TOKENIZER_LINES)) {
            texts.add(l.text() + "\n");
        }
        BpeTrainer.Result r = BpeTrainer.train(texts, vocab);
        BpeTrainer.write(r, dir.resolve("tokenizer.json"));
        return r;
    }

    /** Trains {@code spec} and writes the checkpoint to {@code out}; {@code command} is recorded in the manifest. */
    public static void train(MiniSpec spec, Path out, Device device, String command, Consumer<String> log) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent, "." + out.getFileName() + ".tmp");
        try {
            long t0 = System.nanoTime();
            BpeTrainer.Result tok = tokenizer(work, spec.vocab());
            log.accept(String.format("tokenizer    byte-level BPE, %d tokens (%d merges) from %d corpus lines", tok.vocab().size(),
                    tok.merges().size(), TOKENIZER_LINES));
            Path init = work.resolve("initial");
            spec.initial().write(init);
            List<double[]> curve = new ArrayList<>();
            long tokens;
            try (HuggingFaceTokenizer t = Tokenization.load(work); MiniTrainer trainer = new MiniTrainer(spec, init, device)) {
                log.accept(String.format("model        %s (%s): %d layers, H=%d, %d experts top-%d, I=%d%s, %,d parameters",
                        spec.name(), spec.modelType(), spec.layers(), spec.hidden(), spec.experts(), spec.topK(), spec.intermediate(),
                        spec.shared() > 0 ? ", shared " + spec.shared() : "", trainer.parameterCount()));
                TokenStream stream = new TokenStream(t, spec.context() + 1);
                double ema = Double.NaN;
                try (Progress p = Progress.start("train " + spec.name(), spec.steps(), "steps")) {
                    for (int s = 0; s < spec.steps(); s++) {
                        MiniTrainer.StepLoss l = trainer.step(stream.next(spec.batch()));
                        if (!Double.isFinite(l.loss())) {
                            throw new IllegalStateException("training diverged at step " + s + " (loss " + l.loss() + ")");
                        }
                        ema = Double.isNaN(ema) ? l.nll() : 0.95 * ema + 0.05 * l.nll();
                        curve.add(new double[] {s, l.nll(), l.balance()});
                        p.status(String.format("nll %.3f  balance %.2f", ema, l.balance()));
                        p.step(1);
                    }
                }
                tokens = (long) spec.steps() * spec.batch() * spec.context();
                trainer.export(work, DType.F16, spec.modelType().equals("olmoe") ? TensorLayout.ExpertStorage.PER_EXPERT
                        : TensorLayout.ExpertStorage.FUSED);
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            writeConfig(init.resolve("config.json"), work.resolve("config.json"), spec, tok.vocab().size() - 1);
            writeManifest(work.resolve("manifest.json"), spec, command, curve, tokens, wall);
            deleteTree(init);
            replace(work, out);
            log.accept(String.format("trained      %d steps, %,d tokens in %.0f s; final nll %.3f -> %s", spec.steps(), tokens, wall,
                    curve.get(curve.size() - 1)[1], out));
        } finally {
            deleteTree(work);
        }
    }

    /** The initial config with the mini's context, float16 and its auxiliary-loss coefficient. */
    private static void writeConfig(Path from, Path to, MiniSpec spec, int eos) throws IOException {
        JsonObject root = JsonParser.parseString(Files.readString(from)).getAsJsonObject();
        JsonObject text = root.has("text_config") ? root.getAsJsonObject("text_config") : root;
        text.addProperty("max_position_embeddings", spec.context());
        text.addProperty("router_aux_loss_coef", spec.auxCoef());
        text.addProperty("eos_token_id", eos);
        text.addProperty("bos_token_id", eos);
        for (JsonObject o : List.of(root, text)) {
            for (String k : List.of("torch_dtype", "dtype")) {
                if (o.has(k)) {
                    o.addProperty(k, "float16");
                }
            }
        }
        if (text.has("output_router_logits")) {
            text.remove("output_router_logits");
        }
        AtomicFiles.writeString(to, new GsonBuilder().setPrettyPrinting().create().toJson(root) + "\n");
    }

    private static void writeManifest(Path file, MiniSpec spec, String command, List<double[]> curve, long tokens, double wall)
            throws IOException {
        JsonObject m = new JsonObject();
        m.addProperty("name", spec.name());
        m.addProperty("command", command);
        m.addProperty("model_type", spec.modelType());
        m.addProperty("seed", spec.seed());
        m.addProperty("corpus_version", Corpus.VERSION);
        m.addProperty("steps", spec.steps());
        m.addProperty("batch", spec.batch());
        m.addProperty("context", spec.context());
        m.addProperty("peak_lr", spec.lr());
        m.addProperty("router_aux_loss_coef", spec.auxCoef());
        m.addProperty("tokens", tokens);
        m.addProperty("wall_seconds", Math.round(wall * 10) / 10.0);
        m.addProperty("dtype", "float16");
        JsonArray losses = new JsonArray();
        int every = Math.max(1, curve.size() / 50);
        for (int i = 0; i < curve.size(); i++) {
            if (i % every == 0 || i == curve.size() - 1) {
                JsonObject o = new JsonObject();
                o.addProperty("step", (int) curve.get(i)[0]);
                o.addProperty("nll", Math.round(curve.get(i)[1] * 1e4) / 1e4);
                o.addProperty("balance", Math.round(curve.get(i)[2] * 1e4) / 1e4);
                losses.add(o);
            }
        }
        m.add("losses", losses);
        JsonObject prov = new JsonObject();
        for (Map.Entry<String, String> e : Provenance.withNumerics().entrySet()) {
            prov.addProperty(e.getKey(), e.getValue());
        }
        m.add("provenance", prov);
        AtomicFiles.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(m) + "\n");
    }

    /** Moves the finished directory into place, replacing an older one. */
    private static void replace(Path work, Path out) throws IOException {
        Path old = null;
        if (Files.exists(out)) {
            old = out.resolveSibling("." + out.getFileName() + ".old" + System.nanoTime());
            Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(work, out, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
