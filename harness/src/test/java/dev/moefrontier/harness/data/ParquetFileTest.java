package dev.moefrontier.harness.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.io.CheckpointException;
import dev.moefrontier.harness.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files written by an independent Parquet writer (arrow-rs, see src/test/parquet-gen) read back to the rows they encode,
 * across codecs, page versions, encodings and row groups.
 */
class ParquetFileTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"snappy-v1-dict", "zstd-v2-dict", "gzip-v1-plain", "none-v2-delta", "lz4raw-v1-rowgroups"})
    void readsWhatArrowWrote(String name) throws IOException {
        Path file = Fixtures.resource("/parquet/" + name + ".parquet");
        JsonArray expected = JsonParser.parseString(Files.readString(file.resolveSibling("expected.json"))).getAsJsonArray();
        List<Records.Row> rows = Records.read(file);
        assertEquals(expected.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            JsonObject want = expected.get(i).getAsJsonObject();
            Map<String, Object> got = rows.get(i).fields();
            assertEquals(want.keySet(), got.keySet(), "row " + i + " fields");
            for (String k : want.keySet()) {
                assertSame(name + " row " + i + " " + k, want.get(k), got.get(k));
            }
        }
    }

    /** Compares a JSON value with the reader's value model (numbers by value; bigints were written as strings). */
    static void assertSame(String where, JsonElement want, Object got) {
        if (want.isJsonNull()) {
            assertEquals(null, got, where);
        } else if (want.isJsonArray()) {
            assertTrue(got instanceof List<?>, where + ": a list, got " + got);
            List<?> g = (List<?>) got;
            assertEquals(want.getAsJsonArray().size(), g.size(), where + " length");
            for (int i = 0; i < g.size(); i++) {
                assertSame(where + "[" + i + "]", want.getAsJsonArray().get(i), g.get(i));
            }
        } else if (want.isJsonObject()) {
            assertTrue(got instanceof Map<?, ?>, where + ": an object, got " + got);
            Map<?, ?> g = (Map<?, ?>) got;
            for (String k : want.getAsJsonObject().keySet()) {
                assertSame(where + "." + k, want.getAsJsonObject().get(k), g.get(k));
            }
        } else if (want.getAsJsonPrimitive().isBoolean()) {
            assertEquals(want.getAsBoolean(), got, where);
        } else if (want.getAsJsonPrimitive().isNumber()) {
            assertEquals(want.getAsDouble(), ((Number) got).doubleValue(), 0.0, where);
        } else if (got instanceof Long l) {
            assertEquals(want.getAsString(), Long.toString(l), where); // int64 written as a decimal string
        } else {
            assertEquals(want.getAsString(), got, where);
        }
    }

    @Test
    void rejectsNonParquetAndTruncatedFiles() throws IOException {
        Path junk = tmp.resolve("junk.parquet");
        Files.writeString(junk, "hello, this is not parquet at all");
        CheckpointException a = assertThrows(CheckpointException.class, () -> ParquetFile.open(junk));
        assertTrue(a.getMessage().contains(junk.toString()) && a.getMessage().contains("PAR1"), a.getMessage());
        byte[] good = Files.readAllBytes(Fixtures.resource("/parquet/snappy-v1-dict.parquet"));
        Path cut = tmp.resolve("cut.parquet");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length / 2));
        assertThrows(CheckpointException.class, () -> Records.read(cut));
    }

    @Test
    void jsonlErrorsNameTheLine() throws IOException {
        Path f = tmp.resolve("d.jsonl");
        Files.writeString(f, "{\"a\": 1}\n\n{\"a\": [1, 2.5, \"x\", null, true]}\n{oops\n");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Records.read(f));
        assertEquals(f + ": line 4: not valid JSON", e.getMessage());
        Files.writeString(f, "{\"a\": 1}\n{\"a\": [1, 2.5, \"x\", null, true]}\n");
        List<Records.Row> rows = Records.read(f);
        assertEquals(1L, rows.get(0).fields().get("a"));
        assertEquals(java.util.Arrays.asList(1L, 2.5, "x", null, true), rows.get(1).fields().get("a"));
        CheckpointException missing = assertThrows(CheckpointException.class, () -> rows.get(1).string("b"));
        assertEquals(f + ": line 2: field 'b' must be a string, got nothing (missing or null)", missing.getMessage());
    }
}
