package dev.moefrontier.minis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Code-like bracketed expressions over three bracket kinds ("( a + [ b * { c - d } ] )"): closing brackets must match
 * the open ones in reverse order, a stack skill. Items end where several brackets are open and ask for the closers.
 */
final class BracketsDomain implements Domain {
    private static final String[][] PAIRS = {{"(", ")"}, {"[", "]"}, {"{", "}"}};
    private static final List<String> ATOMS = List.of("a", "b", "c", "d", "x", "y", "n", "f");
    private static final List<String> OPS = List.of("+", "-", "*", "/");

    @Override
    public String name() {
        return "brackets";
    }

    /** A random expression of at most the given depth. */
    private static String expr(SplittableRandom r, int depth) {
        return expr(r, depth, false);
    }

    private static String expr(SplittableRandom r, int depth, boolean bracketed) {
        if (depth == 0 || (!bracketed && r.nextInt(3) == 0)) {
            return Domain.pick(r, ATOMS);
        }
        String[] p = PAIRS[r.nextInt(PAIRS.length)];
        String inner = r.nextBoolean() ? expr(r, depth - 1) + " " + Domain.pick(r, OPS) + " " + expr(r, depth - 1) : expr(r, depth - 1);
        return p[0] + " " + inner + " " + p[1];
    }

    @Override
    public String line(SplittableRandom r) {
        String e = expr(r, 4, true);
        return r.nextBoolean() ? e : Domain.pick(r, ATOMS) + " = " + e;
    }

    @Override
    public Item item(SplittableRandom r) {
        // Open 2-4 nested brackets around content, then ask for the closers (innermost first).
        int n = 2 + r.nextInt(3);
        StringBuilder ctx = new StringBuilder(Domain.pick(r, ATOMS) + " =");
        List<String> closers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String[] p = PAIRS[r.nextInt(PAIRS.length)];
            ctx.append(' ').append(p[0]);
            if (r.nextBoolean()) {
                ctx.append(' ').append(expr(r, 1)).append(' ').append(Domain.pick(r, OPS));
            }
            closers.add(0, p[1]);
        }
        ctx.append(' ').append(Domain.pick(r, ATOMS));
        String correct = String.join(" ", closers);
        Set<String> wrong = new LinkedHashSet<>();
        while (wrong.size() < 3) {
            List<String> c = new ArrayList<>(closers);
            int i = r.nextInt(c.size());
            if (r.nextBoolean() && c.size() > 1) { // swap two closers, or replace one
                int j = (i + 1 + r.nextInt(c.size() - 1)) % c.size();
                String t = c.get(i);
                c.set(i, c.get(j));
                c.set(j, t);
            } else {
                c.set(i, PAIRS[r.nextInt(PAIRS.length)][1]);
            }
            String s = String.join(" ", c);
            if (!s.equals(correct)) {
                wrong.add(s);
            }
        }
        return Domain.shuffled(r, ctx.toString(), correct, new ArrayList<>(wrong));
    }
}
