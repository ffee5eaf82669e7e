package dev.moefrontier.harness.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.moefrontier.harness.io.CheckpointException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Dataset rows from local files as the Hugging Face hub serves them: JSON lines ({@code .jsonl}, {@code .json} with one
 * object per line), Parquet, or plain text (one record with a {@code text} field). Values use one model: String, Long,
 * Double, Boolean, List, Map, null. Each record knows where it came from, so errors name the file and line or row.
 */
public final class Records {
    private Records() {}

    /** One row and its location ("file: line 12" / "file: row 12"). */
    public record Row(Map<String, Object> fields, Path file, String where) {
        /** A one-line error about this row. */
        public CheckpointException error(String message) {
            return CheckpointException.of(file, where + ": " + message);
        }

        /** A required string field. */
        public String string(String name) {
            Object v = fields.get(name);
            if (!(v instanceof String s)) {
                throw error("field '" + name + "' must be a string, got " + describe(v));
            }
            return s;
        }

        /** A required integer field (also accepts integral strings, as some hub exports store labels as text). */
        public long integer(String name) {
            Object v = fields.get(name);
            if (v instanceof Long l) {
                return l;
            }
            if (v instanceof Double d && d == Math.rint(d)) {
                return d.longValue();
            }
            if (v instanceof Boolean b) {
                return b ? 1 : 0;
            }
            if (v instanceof String s) {
                try {
                    return Long.parseLong(s.trim());
                } catch (NumberFormatException e) {
                    // fall through
                }
            }
            throw error("field '" + name + "' must be an integer, got " + describe(v));
        }

        /** A required list of strings. */
        public List<String> strings(String name) {
            Object v = fields.get(name);
            if (!(v instanceof List<?> l)) {
                throw error("field '" + name + "' must be a list of strings, got " + describe(v));
            }
            List<String> out = new ArrayList<>();
            for (Object o : l) {
                if (!(o instanceof String s)) {
                    throw error("field '" + name + "' must be a list of strings, has " + describe(o));
                }
                out.add(s);
            }
            return out;
        }

        /** A required nested object. */
        public Row object(String name) {
            Object v = fields.get(name);
            if (!(v instanceof Map<?, ?> m)) {
                throw error("field '" + name + "' must be an object, got " + describe(v));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> fm = (Map<String, Object>) m;
            return new Row(fm, file, where + " field '" + name + "'");
        }

        private static String describe(Object v) {
            if (v == null) {
                return "nothing (missing or null)";
            }
            String s = String.valueOf(v);
            return v.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " " + (s.length() > 40 ? s.substring(0, 40) + "..." : s);
        }
    }

    /** Reads every row of a file, by extension. */
    public static List<Row> read(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".parquet")) {
            List<Row> out = new ArrayList<>();
            int i = 0;
            for (Map<String, Object> r : ParquetFile.open(file).readRows()) {
                out.add(new Row(r, file, "row " + i++));
            }
            return out;
        }
        if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson") || n.endsWith(".jsonl.gz") || n.endsWith(".json.gz")) {
            return jsonl(file);
        }
        if (n.endsWith(".txt") || n.endsWith(".text") || n.endsWith(".raw")) {
            try {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("text", Files.readString(file, StandardCharsets.UTF_8));
                return List.of(new Row(m, file, "file"));
            } catch (IOException e) {
                throw CheckpointException.of(file, "cannot read: " + e.getMessage());
            }
        }
        throw CheckpointException.of(file, "unknown dataset file type (use .jsonl, .json, .parquet or .txt)");
    }

    private static List<Row> jsonl(Path file) {
        List<Row> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new java.io.InputStreamReader(
                file.toString().endsWith(".gz") ? new java.util.zip.GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file),
                StandardCharsets.UTF_8))) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) {
                    continue;
                }
                JsonElement el;
                try {
                    el = JsonParser.parseString(line);
                } catch (JsonParseException e) {
                    throw CheckpointException.of(file, "line " + no + ": not valid JSON");
                }
                if (!el.isJsonObject()) {
                    throw CheckpointException.of(file, "line " + no + ": expected a JSON object");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) value(el);
                out.add(new Row(m, file, "line " + no));
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw CheckpointException.of(file, "no such file");
        } catch (IOException e) {
            throw CheckpointException.of(file, "cannot read: " + e.getMessage());
        }
        return out;
    }

    /** A Gson value in the shared value model (integral numbers become Long). */
    static Object value(JsonElement el) {
        if (el == null || el.isJsonNull()) {
            return null;
        }
        if (el.isJsonObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : ((JsonObject) el).entrySet()) {
                m.put(e.getKey(), value(e.getValue()));
            }
            return m;
        }
        if (el.isJsonArray()) {
            List<Object> l = new ArrayList<>();
            for (JsonElement e : (JsonArray) el) {
                l.add(value(e));
            }
            return l;
        }
        JsonPrimitive p = el.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            java.math.BigDecimal d = p.getAsBigDecimal();
            try {
                return d.longValueExact();
            } catch (ArithmeticException e) {
                return d.doubleValue();
            }
        }
        return p.getAsString();
    }
}
