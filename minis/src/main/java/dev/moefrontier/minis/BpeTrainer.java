package dev.moefrontier.minis;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.moefrontier.harness.util.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE (GPT-2's byte alphabet and split pattern, digits split one by one as Llama and Qwen do) and
 * writes it as a Hugging Face {@code tokenizer.json}, so the minis go through the same tokenizer path as real
 * checkpoints. Merges are learned greedily: the most frequent adjacent pair, ties to the lexicographically smallest
 * pair, until the vocabulary (256 bytes + merges + one special token) reaches the requested size.
 */
public final class BpeTrainer {
    /** The end-of-text token, the last id. */
    public static final String END_OF_TEXT = "<|endoftext|>";
    /** GPT-2's pre-tokenization pattern (Hugging Face ByteLevel with use_regex). */
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final Pattern DIGIT = Pattern.compile("\\p{N}");
    private static final String[] BYTE_CHARS = byteChars();

    /** The trained tokenizer: symbols in id order and merges in rank order. */
    public record Result(List<String> vocab, List<String[]> merges, long tokens) {}

    private BpeTrainer() {}

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to 256 + n. */
    private static String[] byteChars() {
        String[] out = new String[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
            out[b] = new String(Character.toChars(printable ? b : 256 + n++));
        }
        return out;
    }

    /** Pre-tokens of a text: digits isolated, then GPT-2's pattern, each mapped to the byte alphabet. */
    static List<String> preTokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher d = DIGIT.matcher(text);
        int at = 0;
        while (d.find()) {
            split(text.substring(at, d.start()), out);
            out.add(bytes(d.group()));
            at = d.end();
        }
        split(text.substring(at), out);
        return out;
    }

    private static void split(String piece, List<String> out) {
        Matcher m = GPT2.matcher(piece);
        while (m.find()) {
            out.add(bytes(m.group()));
        }
    }

    private static String bytes(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            sb.append(BYTE_CHARS[b & 0xff]);
        }
        return sb.toString();
    }

    /** Learns merges on {@code texts} until the vocabulary has {@code vocabSize} entries. */
    public static Result train(List<String> texts, int vocabSize) {
        if (vocabSize < 257) {
            throw new IllegalArgumentException("vocabulary must hold the 256 bytes and the end-of-text token");
        }
        Map<String, Integer> wordCounts = new TreeMap<>();
        for (String t : texts) {
            for (String p : preTokens(t)) {
                wordCounts.merge(p, 1, Integer::sum);
            }
        }
        List<String> vocab = new ArrayList<>(List.of(BYTE_CHARS));
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            ids.put(vocab.get(i), i);
        }
        List<int[]> words = new ArrayList<>();
        int[] counts = new int[wordCounts.size()];
        int w = 0;
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            String s = e.getKey();
            int[] sym = s.codePoints().map(cp -> ids.get(new String(Character.toChars(cp)))).toArray();
            words.add(sym);
            counts[w++] = e.getValue();
        }
        List<String[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize - 1) {
            Map<Long, Long> pairs = new HashMap<>();
            for (int i = 0; i < words.size(); i++) {
                int[] sym = words.get(i);
                for (int j = 0; j + 1 < sym.length; j++) {
                    pairs.merge(((long) sym[j] << 32) | sym[j + 1], (long) counts[i], Long::sum);
                }
            }
            long best = -1;
            long bestCount = 0;
            for (Map.Entry<Long, Long> e : pairs.entrySet()) {
                long c = e.getValue();
                if (c > bestCount || (c == bestCount && comparePairs(vocab, e.getKey(), best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best < 0 || bestCount < 2) {
                break; // nothing left worth merging
            }
            int a = (int) (best >>> 32);
            int b = (int) best;
            String merged = vocab.get(a) + vocab.get(b);
            int id = vocab.size();
            vocab.add(merged);
            merges.add(new String[] {vocab.get(a), vocab.get(b)});
            for (int i = 0; i < words.size(); i++) {
                words.set(i, apply(words.get(i), a, b, id));
            }
        }
        vocab.add(END_OF_TEXT);
        long tokens = 0;
        for (int i = 0; i < words.size(); i++) {
            tokens += (long) words.get(i).length * counts[i];
        }
        return new Result(List.copyOf(vocab), List.copyOf(merges), tokens);
    }

    private static int comparePairs(List<String> vocab, long p, long q) {
        if (q < 0) {
            return -1;
        }
        int c = vocab.get((int) (p >>> 32)).compareTo(vocab.get((int) (q >>> 32)));
        return c != 0 ? c : vocab.get((int) p).compareTo(vocab.get((int) q));
    }

    private static int[] apply(int[] sym, int a, int b, int id) {
        int n = 0;
        int[] out = new int[sym.length];
        for (int j = 0; j < sym.length; j++) {
            if (j + 1 < sym.length && sym[j] == a && sym[j + 1] == b) {
                out[n++] = id;
                j++;
            } else {
                out[n++] = sym[j];
            }
        }
        return n == sym.length ? sym : java.util.Arrays.copyOf(out, n);
    }

    /** Writes {@code tokenizer.json} in the Hugging Face tokenizers format. */
    public static void write(Result r, Path file) throws IOException {
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        JsonArray added = new JsonArray();
        JsonObject eot = new JsonObject();
        eot.addProperty("id", r.vocab().size() - 1);
        eot.addProperty("content", END_OF_TEXT);
        eot.addProperty("single_word", false);
        eot.addProperty("lstrip", false);
        eot.addProperty("rstrip", false);
        eot.addProperty("normalized", false);
        eot.addProperty("special", true);
        added.add(eot);
        root.add("added_tokens", added);
        root.add("normalizer", JsonNull.INSTANCE);
        JsonObject pre = new JsonObject();
        pre.addProperty("type", "Sequence");
        JsonArray pres = new JsonArray();
        JsonObject digits = new JsonObject();
        digits.addProperty("type", "Digits");
        digits.addProperty("individual_digits", true);
        pres.add(digits);
        pres.add(byteLevel(true));
        pre.add("pretokenizers", pres);
        root.add("pre_tokenizer", pre);
        root.add("post_processor", byteLevel(false));
        root.add("decoder", byteLevel(true));
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.add("continuing_subword_prefix", JsonNull.INSTANCE);
        model.add("end_of_word_suffix", JsonNull.INSTANCE);
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.addProperty("ignore_merges", false);
        JsonObject vocab = new JsonObject();
        for (int i = 0; i < r.vocab().size() - 1; i++) {
            vocab.addProperty(r.vocab().get(i), i);
        }
        model.add("vocab", vocab);
        JsonArray merges = new JsonArray();
        for (String[] m : r.merges()) {
            merges.add(m[0] + " " + m[1]);
        }
        model.add("merges", merges);
        root.add("model", model);
        AtomicFiles.writeString(file, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root) + "\n");
    }

    private static JsonObject byteLevel(boolean trimOffsets) {
        JsonObject o = new JsonObject();
        o.addProperty("type", "ByteLevel");
        o.addProperty("add_prefix_space", false);
        o.addProperty("trim_offsets", trimOffsets);
        o.addProperty("use_regex", true);
        return o;
    }

    /** Symbol → id, in id order (for tests and reports). */
    public static Map<String, Integer> ids(Result r) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < r.vocab().size(); i++) {
            m.put(r.vocab().get(i), i);
        }
        return m;
    }
}
