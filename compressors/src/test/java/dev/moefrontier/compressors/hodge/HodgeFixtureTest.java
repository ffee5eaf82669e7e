package dev.moefrontier.compressors.hodge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.moefrontier.harness.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The golden cases of fixtures/hodge (README there): selection, redirect and every integer or list exactly, real values
 * to 1e-9 relative (1e-12 absolute near zero).
 */
class HodgeFixtureTest {

    static JsonObject load(String name) throws IOException {
        return JsonParser.parseString(Files.readString(Fixtures.resource("/hodge/" + name + ".json"))).getAsJsonObject();
    }

    @ParameterizedTest
    @ValueSource(strings = {"planted-cycle", "random-16", "random-64"})
    void matchesGoldenCase(String name) throws IOException {
        JsonObject c = load(name);
        JsonObject in = c.getAsJsonObject("input");
        HodgeResult r = HodgeCover.run(HodgeCover.input(in), HodgeCover.params(in.getAsJsonObject("params")));
        JsonObject got = r.toJson();
        JsonObject want = c.getAsJsonObject("expected");
        for (Map.Entry<String, JsonElement> e : want.entrySet()) {
            assertTrue(got.has(e.getKey()), "missing " + e.getKey());
            compare(name + "." + e.getKey(), e.getValue(), got.get(e.getKey()));
        }
    }

    /** Integers (and lists / maps of them) exactly, other numbers to 1e-9 relative or 1e-12 absolute. */
    static void compare(String where, JsonElement want, JsonElement got) {
        if (want.isJsonArray()) {
            assertTrue(got.isJsonArray(), where);
            assertEquals(want.getAsJsonArray().size(), got.getAsJsonArray().size(), where + " length");
            for (int i = 0; i < want.getAsJsonArray().size(); i++) {
                compare(where + "[" + i + "]", want.getAsJsonArray().get(i), got.getAsJsonArray().get(i));
            }
        } else if (want.isJsonObject()) {
            assertEquals(want.getAsJsonObject().keySet(), got.getAsJsonObject().keySet(), where + " keys");
            for (String k : want.getAsJsonObject().keySet()) {
                compare(where + "." + k, want.getAsJsonObject().get(k), got.getAsJsonObject().get(k));
            }
        } else {
            String w = want.getAsString();
            boolean integral = !w.contains(".") && !w.contains("e") && !w.contains("E");
            if (integral && !where.contains("retained") && !where.endsWith("balance")) {
                assertEquals(want.getAsLong(), got.getAsLong(), where);
            } else {
                double a = want.getAsDouble();
                double b = got.getAsDouble();
                assertTrue(Math.abs(a - b) <= Math.max(1e-9 * Math.abs(a), 1e-12), where + ": want " + a + ", got " + b);
            }
        }
    }
}
