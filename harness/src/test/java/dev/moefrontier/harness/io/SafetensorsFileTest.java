package dev.moefrontier.harness.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir
    Path tmp;

    /** A file with a hand-written header and {@code dataLen} zero bytes of data. */
    private Path raw(String name, String header, int dataLen) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataLen).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = tmp.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private static String rejection(Path p) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void roundTripIsByteExactAndWideningIsExact() throws IOException {
        float[] values = {0f, -0f, 1f, -2.5f, 3.1415927f, 1e-8f, 65504f, -1e30f, Float.MIN_NORMAL, 0.1f, 7f, -7.75f};
        Path a = tmp.resolve("a.safetensors");
        new SafetensorsWriter()
                .addFloats("f32", DType.F32, new long[] {3, 4}, values)
                .addFloats("bf16", DType.BF16, new long[] {12}, values)
                .addFloats("f16", DType.F16, new long[] {2, 6}, values)
                .write(a);
        Path b = tmp.resolve("b.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(a)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(java.util.List.of("f32", "bf16", "f16"), java.util.List.copyOf(f.tensors().keySet()));
            assertArrayEquals(values, f.readFloats(f.tensors().get("f32")), 0f);
            float[] bf = f.readFloats(f.tensors().get("bf16"));
            float[] hf = f.readFloats(f.tensors().get("f16"));
            for (int i = 0; i < values.length; i++) {
                // Widening is exact: the stored narrow value converts back to the same bits.
                assertEquals(Widening.floatToBf16Bits(values[i]), Widening.floatToBf16Bits(bf[i]));
                assertEquals(Widening.floatToHalfBits(values[i]), Widening.floatToHalfBits(hf[i]));
                assertEquals(values[i], bf[i], Math.abs(values[i]) / 128 + 1e-38, "bf16 close");
            }
            SafetensorsWriter copy = new SafetensorsWriter();
            for (TensorInfo t : f.tensors().values()) {
                copy.addCopy(t.name(), f, t);
            }
            copy.write(b);
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "rewrite is byte-identical");
        ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(a)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, head.getLong(0) % 8, "header padded to 8 bytes");
    }

    @Test
    void halfPrecisionConversionsMatchIeee() {
        // Every binary16 value widens to a float that narrows back to itself (NaN payloads aside).
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = Float.intBitsToFloat(Widening.halfToFloatBits(h));
            if (Float.isNaN(f)) {
                assertTrue((bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0);
                continue;
            }
            assertEquals(h, Widening.floatToHalfBits(f), "half bits " + Integer.toHexString(bits));
        }
        assertEquals(5.9604645e-8f, Float.intBitsToFloat(Widening.halfToFloatBits((short) 1)), 0f, "smallest subnormal");
        assertEquals(65504f, Float.intBitsToFloat(Widening.halfToFloatBits((short) 0x7BFF)), 0f, "largest normal");
        assertEquals((short) 0x3C00, Widening.floatToHalfBits(1.0f));
        assertEquals((short) 0x3F80, Widening.floatToBf16Bits(1.0f));
        assertEquals((short) 0x3F80, Widening.floatToBf16Bits(Float.intBitsToFloat(0x3F808000)), "ties to even");
        assertEquals((short) 0x3F82, Widening.floatToBf16Bits(Float.intBitsToFloat(0x3F818000)), "ties to even (odd)");
    }

    @Test
    void rejectsTruncatedFile() throws IOException {
        Path p = tmp.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertTrue(rejection(p).contains("truncated"));
    }

    @Test
    void rejectsHeaderLengthPastEndOfFile() throws IOException {
        Path p = tmp.resolve("past.safetensors");
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(5000);
        Files.write(p, b.array());
        assertTrue(rejection(p).contains("past the end of the file"));
    }

    @Test
    void rejectsAbsurdHeaderLength() throws IOException {
        Path p = tmp.resolve("huge.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(-1L);
        Files.write(p, b.array());
        assertTrue(rejection(p).contains("outside the allowed range"));
    }

    @Test
    void rejectsInvalidJson() throws IOException {
        assertTrue(rejection(raw("bad.safetensors", "{\"a\": [", 0)).contains("not valid JSON"));
    }

    @Test
    void rejectsOverlappingOffsets() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}";
        String msg = rejection(raw("overlap.safetensors", h, 24));
        assertTrue(msg.contains("'b'") && msg.contains("overlap tensor 'a'"), msg);
    }

    @Test
    void rejectsOffsetsInconsistentWithDtypeSize() throws IOException {
        String h = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
        String msg = rejection(raw("size.safetensors", h, 24));
        assertTrue(msg.contains("'w'") && msg.contains("span 24 bytes but BF16 [2, 3] needs 12"), msg);
    }

    @Test
    void rejectsDataPastEndOfFile() throws IOException {
        String h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}";
        String msg = rejection(raw("cut.safetensors", h, 20));
        assertTrue(msg.contains("'w'") && msg.contains("file truncated?"), msg);
    }

    @Test
    void rejectsUnknownDtypeAndMalformedEntries() throws IOException {
        assertTrue(rejection(raw("dt.safetensors", "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1))
                .contains("unknown dtype 'Q4'"));
        assertTrue(rejection(raw("sh.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4))
                .contains("'shape'"));
        assertTrue(rejection(raw("neg.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4))
                .contains("negative"));
        assertTrue(rejection(raw("meta.safetensors", "{\"__metadata__\":{\"a\":1}}", 0)).contains("__metadata__"));
    }

    @Test
    void readsUnsupportedDtypesForValidationButRefusesToLoadThem() throws IOException {
        Path p = raw("int.safetensors", "{\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> f.readFloats(f.tensors().get("i")));
            assertTrue(e.getMessage().contains("'i'") && e.getMessage().contains("not supported"));
        }
    }
}
