package dev.moefrontier.minis;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Key-value records followed by a lookup ("zup : red , mek : blue , tov : gold ; mek ? blue"). Every key has one value
 * in this little world (fixed by the corpus version), so the answer can be read from the record or recalled from
 * memory, knowledge that lives in the model's weights. Items offer the record's values as choices.
 */
final class RecordsDomain implements Domain {
    private static final List<String> KEYS = List.of("zup", "mek", "tov", "rix", "bal", "dun", "fep", "gol", "hib", "jax",
            "kem", "lop", "nuv", "pim", "quo", "ras", "sib", "tam", "vek", "wok");
    private static final List<String> VALUES = List.of("red", "blue", "gold", "green", "black", "white", "pink", "gray",
            "one", "two", "three", "four", "five", "six", "yes", "no");

    @Override
    public String name() {
        return "records";
    }

    /** The world: key i has value WORLD[i] (a fixed shuffle, values may repeat across keys). */
    private static final List<String> WORLD = world();

    private static List<String> world() {
        SplittableRandom r = new SplittableRandom(20261122L);
        List<String> w = new ArrayList<>();
        for (int i = 0; i < KEYS.size(); i++) {
            w.add(VALUES.get(r.nextInt(VALUES.size())));
        }
        return List.copyOf(w);
    }

    /** A record of n distinct keys with their values (distinct values, so a lookup has one answer). */
    private static List<String[]> record(SplittableRandom r, int n) {
        List<Integer> keys = new ArrayList<>();
        for (int i = 0; i < KEYS.size(); i++) {
            keys.add(i);
        }
        List<String[]> out = new ArrayList<>();
        java.util.Set<String> values = new java.util.HashSet<>();
        while (out.size() < n) {
            int k = keys.remove(r.nextInt(keys.size()));
            if (values.add(WORLD.get(k))) {
                out.add(new String[] {KEYS.get(k), WORLD.get(k)});
            }
        }
        return out;
    }

    private static String text(List<String[]> rec) {
        List<String> parts = new ArrayList<>();
        for (String[] kv : rec) {
            parts.add(kv[0] + " : " + kv[1]);
        }
        return String.join(" , ", parts);
    }

    @Override
    public String line(SplittableRandom r) {
        List<String[]> rec = record(r, 2 + r.nextInt(4));
        String[] q = rec.get(r.nextInt(rec.size()));
        return text(rec) + " ; " + q[0] + " ? " + q[1];
    }

    @Override
    public Item item(SplittableRandom r) {
        List<String[]> rec = record(r, 4 + r.nextInt(2));
        int asked = r.nextInt(rec.size());
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < rec.size() && wrong.size() < 3; i++) {
            if (i != asked) {
                wrong.add(rec.get(i)[1]);
            }
        }
        String[] q = rec.get(asked);
        return Domain.shuffled(r, text(rec) + " ; " + q[0] + " ?", q[1], wrong);
    }
}
