package dev.moefrontier.harness.spi;

import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Name → implementation for one kind of plug-in. Built-ins and third-party jars register the same way, through
 * {@code META-INF/services/<interface>}, so a jar on the classpath adds a compressor, task or renderer without touching
 * the harness. Names must be unique; a clash is an error naming both classes.
 *
 * @param <T> the plug-in interface
 */
public final class Registry<T extends Named> {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9+._-]*");

    private final String kind;
    private final Map<String, T> byName;

    private Registry(String kind, Map<String, T> byName) {
        this.kind = kind;
        this.byName = Collections.unmodifiableMap(byName);
    }

    /** Discovers every implementation of {@code type} on the classpath. */
    public static <T extends Named> Registry<T> load(Class<T> type, String kind) {
        return load(type, kind, Thread.currentThread().getContextClassLoader());
    }

    public static <T extends Named> Registry<T> load(Class<T> type, String kind, ClassLoader loader) {
        List<T> found = new ArrayList<>();
        try {
            for (T t : ServiceLoader.load(type, loader)) {
                found.add(t);
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load a " + kind + " plug-in: " + e.getMessage(), e);
        }
        return of(kind, found);
    }

    /** A registry of the given instances (tests, embedding). */
    public static <T extends Named> Registry<T> of(String kind, List<T> items) {
        Map<String, T> map = new TreeMap<>();
        for (T t : items) {
            String n = t.name();
            checkName(kind, t);
            T prev = map.putIfAbsent(n, t);
            if (prev != null) {
                throw new IllegalStateException(kind + " name '" + n + "' is registered twice: "
                        + prev.getClass().getName() + " and " + t.getClass().getName());
            }
        }
        return new Registry<>(kind, map);
    }

    /** Refuses a plug-in whose name is not lower-case letters, digits and + . _ - (it names files and CSV rows). */
    public static void checkName(String kind, Named plugin) {
        String n = plugin.name();
        if (n == null || !NAME.matcher(n).matches()) {
            throw new IllegalStateException(kind + " " + plugin.getClass().getName() + " has an invalid name '" + n
                    + "' (lower-case letters, digits and + . _ -)");
        }
    }

    public String kind() {
        return kind;
    }

    /** All names, sorted. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** All implementations, by name. */
    public List<T> all() {
        return List.copyOf(byName.values());
    }

    public Optional<T> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The implementation called {@code name}; an unknown name is an error listing the known ones. */
    public T get(String name) {
        T t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("unknown " + kind + " '" + name + "' (known: "
                    + (byName.isEmpty() ? "none" : String.join(", ", byName.keySet())) + ")");
        }
        return t;
    }

    /** Where an implementation was loaded from (jar or directory), for listings. */
    public static String origin(Object impl) {
        var src = impl.getClass().getProtectionDomain().getCodeSource();
        URL url = src == null ? null : src.getLocation();
        return url == null ? "?" : url.getPath();
    }
}
