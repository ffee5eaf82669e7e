package dev.moefrontier.harness.compress;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Validated option values of one plug-in: every declared option has a value (given or default). */
public final class Options {
    private final Map<String, Object> values;
    private final Map<String, String> text;

    private Options(Map<String, Object> values, Map<String, String> text) {
        this.values = values;
        this.text = text;
    }

    /** No options. */
    public static Options none() {
        return new Options(Map.of(), Map.of());
    }

    /**
     * Parses {@code raw} against {@code specs}: unknown names, bad values and out-of-range numbers are errors naming
     * the owner and listing what is allowed.
     */
    public static Options parse(String owner, List<OptionSpec> specs, Map<String, String> raw) {
        Map<String, OptionSpec> byName = new LinkedHashMap<>();
        for (OptionSpec s : specs) {
            byName.put(s.name(), s);
        }
        for (String k : raw.keySet()) {
            if (!byName.containsKey(k)) {
                throw new IllegalArgumentException("unknown option '" + k + "' for " + owner + " (options: "
                        + (byName.isEmpty() ? "none" : String.join(", ", byName.keySet())) + ")");
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> text = new TreeMap<>();
        for (OptionSpec s : specs) {
            String v = raw.getOrDefault(s.name(), s.defaultValue());
            Object parsed = s.parse(owner, v);
            values.put(s.name(), parsed);
            text.put(s.name(), String.valueOf(parsed));
        }
        return new Options(Collections.unmodifiableMap(values), Collections.unmodifiableMap(text));
    }

    /** Parses "k=v" strings. */
    public static Map<String, String> pairs(List<String> kv) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String s : kv) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("option '" + s + "' must look like name=value");
            }
            String k = s.substring(0, eq).trim();
            if (out.put(k, s.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("option '" + k + "' given twice");
            }
        }
        return out;
    }

    private Object get(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no option '" + name + "' declared");
        }
        return v;
    }

    public int getInt(String name) {
        return (Integer) get(name);
    }

    public double getDouble(String name) {
        return (Double) get(name);
    }

    public boolean getBool(String name) {
        return (Boolean) get(name);
    }

    public String getString(String name) {
        return (String) get(name);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** Every option with its resolved value, sorted by name (for provenance and result rows). */
    public Map<String, String> asMap() {
        return text;
    }

    /** "k=v;k=v" (sorted), or "" when there are no options. */
    public String canonical() {
        StringBuilder sb = new StringBuilder();
        text.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ";").append(k).append('=').append(v));
        return sb.toString();
    }
}
