package dev.moefrontier.harness.sweep;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * One point of a frontier: a backbone compressed by one compressor (with options) at one ratio, or the dense backbone
 * ({@link #DENSE}, ratio 0).
 *
 * @param backbone backbone name
 * @param compressor compressor name, or {@code dense}
 * @param options the compressor's options as given (sorted)
 * @param ratio reduction ratio
 */
public record Cell(String backbone, String compressor, Map<String, String> options, double ratio) {
    /** The compressor name of an uncompressed cell. */
    public static final String DENSE = "dense";

    public Cell {
        options = java.util.Collections.unmodifiableMap(new TreeMap<>(options));
    }

    public static Cell dense(String backbone) {
        return new Cell(backbone, DENSE, Map.of(), 0);
    }

    public boolean isDense() {
        return compressor.equals(DENSE);
    }

    /** Options as {@code k=v;k=v} (sorted), empty when none. */
    public String optionString() {
        StringBuilder sb = new StringBuilder();
        options.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ";").append(k).append('=').append(v));
        return sb.toString();
    }

    /** Folder name, unique within a backbone: {@code reap-r0.50}, {@code hodgecover-1a2b3c4d-r0.66}, {@code dense}, {@code random-r0.333}. */
    public String id() {
        if (isDense()) {
            return DENSE;
        }
        String opts = options.isEmpty() ? "" : "-" + hash(optionString());
        return compressor.replace('+', '_') + opts + "-r" + ratioLabel(ratio);
    }

    /** The ratio with at least two decimals and as many more as it has ({@code 0.50}, {@code 0.333}): unique per ratio. */
    static String ratioLabel(double ratio) {
        java.math.BigDecimal r = java.math.BigDecimal.valueOf(ratio).stripTrailingZeros();
        return (r.scale() < 2 ? r.setScale(2) : r).toPlainString();
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
