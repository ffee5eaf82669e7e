package dev.moefrontier.harness.registry;

import dev.moefrontier.harness.spi.Named;
import dev.moefrontier.harness.spi.Registry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryTest {
    /** A plug-in kind that exists only in tests, registered in src/test/resources/META-INF/services. */
    public interface Widget extends Named {}

    public static final class Alpha implements Widget {
        @Override
        public String name() {
            return "alpha";
        }

        @Override
        public String description() {
            return "first";
        }
    }

    public static final class Beta implements Widget {
        @Override
        public String name() {
            return "beta+wanda";
        }

        @Override
        public String description() {
            return "second";
        }
    }

    private static Widget named(String name) {
        return new Widget() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String description() {
                return "";
            }
        };
    }

    @Test
    void discoversImplementationsThroughServiceLoader() {
        Registry<Widget> r = Registry.load(Widget.class, "widget");
        assertEquals(List.of("alpha", "beta+wanda"), r.names());
        assertEquals("second", r.get("beta+wanda").description());
        assertTrue(r.find("gamma").isEmpty());
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        Registry<Widget> r = Registry.load(Widget.class, "widget");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.get("gamma"));
        assertEquals("unknown widget 'gamma' (known: alpha, beta+wanda)", e.getMessage());
    }

    @Test
    void rejectsDuplicateAndInvalidNames() {
        IllegalStateException dup = assertThrows(IllegalStateException.class,
                () -> Registry.of("widget", List.of(named("x"), named("x"))));
        assertTrue(dup.getMessage().contains("registered twice"));
        IllegalStateException bad = assertThrows(IllegalStateException.class, () -> Registry.of("widget", List.of(named("Bad Name"))));
        assertTrue(bad.getMessage().contains("invalid name"));
    }
}
