package dev.moefrontier.harness.compress;

import java.util.List;
import java.util.Locale;

/**
 * A named, typed option of a compressor (or other plug-in) with its default and bounds.
 *
 * @param name e.g. {@code alpha} or {@code wanda.pattern}
 * @param type value type
 * @param defaultValue textual default
 * @param description one line for {@code frontier list}
 * @param choices allowed values for {@link Type#CHOICE}
 * @param min inclusive lower bound for numbers, or null
 * @param max inclusive upper bound for numbers, or null
 */
public record OptionSpec(String name, Type type, String defaultValue, String description, List<String> choices,
        Double min, Double max) {

    /** Value types. */
    public enum Type { INT, DOUBLE, BOOL, STRING, CHOICE }

    public static OptionSpec integer(String name, int def, Integer min, Integer max, String description) {
        return new OptionSpec(name, Type.INT, Integer.toString(def), description, List.of(),
                min == null ? null : min.doubleValue(), max == null ? null : max.doubleValue());
    }

    public static OptionSpec real(String name, double def, Double min, Double max, String description) {
        return new OptionSpec(name, Type.DOUBLE, Double.toString(def), description, List.of(), min, max);
    }

    public static OptionSpec bool(String name, boolean def, String description) {
        return new OptionSpec(name, Type.BOOL, Boolean.toString(def), description, List.of(), null, null);
    }

    public static OptionSpec choice(String name, String def, List<String> choices, String description) {
        return new OptionSpec(name, Type.CHOICE, def, description, List.copyOf(choices), null, null);
    }

    public static OptionSpec text(String name, String def, String description) {
        return new OptionSpec(name, Type.STRING, def, description, List.of(), null, null);
    }

    /** Parses and checks a value; {@code owner} names the compressor in errors. */
    public Object parse(String owner, String raw) {
        String v = raw.trim();
        String where = owner + " option '" + name + "'";
        switch (type) {
            case INT -> {
                long x;
                try {
                    x = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + " must be an integer, got '" + raw + "'");
                }
                checkRange(where, x, raw);
                return (int) x;
            }
            case DOUBLE -> {
                double x;
                try {
                    x = Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + " must be a number, got '" + raw + "'");
                }
                if (!Double.isFinite(x)) {
                    throw new IllegalArgumentException(where + " must be finite, got '" + raw + "'");
                }
                checkRange(where, x, raw);
                return x;
            }
            case BOOL -> {
                String l = v.toLowerCase(Locale.ROOT);
                if (l.equals("true") || l.equals("false")) {
                    return Boolean.parseBoolean(l);
                }
                throw new IllegalArgumentException(where + " must be true or false, got '" + raw + "'");
            }
            case CHOICE -> {
                if (!choices.contains(v)) {
                    throw new IllegalArgumentException(where + " must be one of " + String.join(", ", choices) + ", got '" + raw + "'");
                }
                return v;
            }
            default -> {
                return v;
            }
        }
    }

    private void checkRange(String where, double x, String raw) {
        if ((min != null && x < min) || (max != null && x > max)) {
            throw new IllegalArgumentException(where + " must be in [" + fmt(min) + ", " + fmt(max) + "], got '" + raw + "'");
        }
    }

    private static String fmt(Double d) {
        if (d == null) {
            return "..";
        }
        return d == Math.rint(d) ? Long.toString(d.longValue()) : d.toString();
    }

    /** "name=default (type): description" for listings. */
    public String summary() {
        String t = type == Type.CHOICE ? String.join("|", choices) : type.name().toLowerCase(Locale.ROOT);
        if (min != null || max != null) {
            t += " in [" + fmt(min) + ", " + fmt(max) + "]";
        }
        return name + "=" + defaultValue + " (" + t + "): " + description;
    }
}
