package dev.moefrontier.harness.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.CheckpointException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Token-id sequences in the conformance fixtures' form: {@code {"input_ids": [[...], [...]]}}. */
public final class InputsFile {
    private InputsFile() {}

    /** Reads and validates the sequences (non-empty lists of non-negative integers). */
    public static List<int[]> read(Path file) {
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(file, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(file, "cannot read: " + e.getMessage());
        } catch (JsonParseException e) {
            throw CheckpointException.of(file, "not valid JSON: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("input_ids")
                || !root.getAsJsonObject().get("input_ids").isJsonArray()) {
            throw CheckpointException.of(file, "expected {\"input_ids\": [[id, ...], ...]}");
        }
        JsonArray seqs = root.getAsJsonObject().getAsJsonArray("input_ids");
        if (seqs.isEmpty()) {
            throw CheckpointException.of(file, "input_ids is empty");
        }
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < seqs.size(); s++) {
            JsonElement seq = seqs.get(s);
            if (!seq.isJsonArray() || seq.getAsJsonArray().isEmpty()) {
                throw CheckpointException.of(file, "input_ids[" + s + "] must be a non-empty list of token ids");
            }
            JsonArray a = seq.getAsJsonArray();
            int[] ids = new int[a.size()];
            for (int i = 0; i < ids.length; i++) {
                try {
                    long v = new java.math.BigDecimal(a.get(i).getAsString()).longValueExact();
                    if (v < 0 || v > Integer.MAX_VALUE) {
                        throw new ArithmeticException();
                    }
                    ids[i] = (int) v;
                } catch (RuntimeException e) {
                    throw CheckpointException.of(file, "input_ids[" + s + "][" + i + "] = " + a.get(i) + " is not a token id");
                }
            }
            out.add(ids);
        }
        return out;
    }

    /**
     * Refuses a sequence longer than the model's context ({@code max_position_embeddings} or equivalent): positions
     * past it have no trained embedding or RoPE range, and the model's output there means nothing.
     */
    public static void checkContext(Path file, List<int[]> seqs, int context) {
        for (int s = 0; s < seqs.size(); s++) {
            if (seqs.get(s).length > context) {
                throw CheckpointException.of(file, "input_ids[" + s + "] has " + seqs.get(s).length
                        + " tokens, more than the model's context of " + context + " (max_position_embeddings)");
            }
        }
    }

    /** Checks every id against a vocabulary size. */
    public static void checkVocabulary(Path file, List<int[]> seqs, int vocab) {
        for (int s = 0; s < seqs.size(); s++) {
            for (int i = 0; i < seqs.get(s).length; i++) {
                if (seqs.get(s)[i] >= vocab) {
                    throw CheckpointException.of(file, "input_ids[" + s + "][" + i + "] = " + seqs.get(s)[i]
                            + " is outside the model's vocabulary (vocab_size " + vocab + ")");
                }
            }
        }
    }
}
