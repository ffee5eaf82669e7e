package dev.moefrontier.harness.util;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import dev.moefrontier.harness.io.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one JSON binding of MoE Frontier's own file formats: each format is a record whose components are its keys
 * ({@code camelCase} components become {@code snake_case} keys, in component order), bound by Gson. Null components are
 * left out, so an optional key is a nullable component. Non-finite numbers are written as {@code NaN}/{@code Infinity}
 * (a metric without a standard error), and HTML characters are not escaped, so files read as written.
 */
public final class Json {
    private static GsonBuilder builder() {
        return new GsonBuilder().setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
                .serializeSpecialFloatingPointValues().disableHtmlEscaping();
    }

    /** Pretty-printed documents (plans, results, manifests). */
    public static final Gson PRETTY = builder().setPrettyPrinting().create();

    /** One-line documents (JSON Lines). */
    public static final Gson LINE = builder().create();

    private Json() {}

    /** {@code value} as a pretty-printed document with a final newline. */
    public static String pretty(Object value) {
        return PRETTY.toJson(value) + "\n";
    }

    /** {@code value} as a JSON tree (to embed a bound record in a document that is not one). */
    public static JsonElement tree(Object value) {
        return PRETTY.toJsonTree(value);
    }

    /** Writes {@code value} to {@code file} atomically (temporary file + rename), creating its folder. */
    public static void write(Path file, Object value) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        AtomicFiles.writeString(file, pretty(value));
    }

    /**
     * Reads {@code file} as a {@code type}; a file that is not JSON or does not fit the type is one
     * {@link CheckpointException} naming the file and saying it is not a {@code what}.
     */
    public static <T> T read(Path file, Class<T> type, String what) throws IOException {
        String text = Files.readString(file);
        try {
            T v = PRETTY.fromJson(text, type);
            if (v == null) {
                throw CheckpointException.of(file, "not a " + what + ": empty");
            }
            return v;
        } catch (JsonParseException | IllegalStateException | IllegalArgumentException | NullPointerException e) {
            throw CheckpointException.of(file, "not a " + what + ": " + reason(e));
        }
    }

    /** Gson's message on one line, without its exception class prefix and troubleshooting link. */
    public static String reason(RuntimeException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl);
        }
        m = m.replaceFirst("^[a-z]+(\\.[a-z]+)*\\.[A-Z][A-Za-z]*Exception: ", "");
        return m.endsWith(".") ? m.substring(0, m.length() - 1) : m;
    }

    /** Binds a JSON tree to {@code type} (the caller reports failures with its file). */
    public static <T> T bind(JsonElement tree, Class<T> type) {
        return PRETTY.fromJson(tree, type);
    }

    /** Binds a JSON text to {@code type} (the caller reports failures with its file). */
    public static <T> T bind(String text, Class<T> type) {
        return PRETTY.fromJson(text, type);
    }
}
