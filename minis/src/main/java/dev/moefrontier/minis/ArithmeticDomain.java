package dev.moefrontier.minis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Additions with carries, a few per line ("7 + 5 = 12 , 37 + 45 = 82 , 91 + 7 = 98"): two single digits half of the
 * time, otherwise numbers below 100; digits are single tokens, so the answer's tens digit needs the carry from the
 * units. Wrong answers are near misses that differ in the
 * units digit.
 */
final class ArithmeticDomain implements Domain {
    @Override
    public String name() {
        return "arith";
    }


    /** {a, b, a + b}: two single digits half of the time, else a number below 100 plus a digit or another such number. */
    private static int[] problem(SplittableRandom r) {
        int kind = r.nextInt(4);
        int a = kind < 2 ? r.nextInt(10) : r.nextInt(100);
        int b = kind < 3 ? r.nextInt(10) : r.nextInt(100);
        return new int[] {a, b, a + b};
    }

    private static String question(int[] p) {
        return p[0] + " + " + p[1] + " =";
    }

    /** Two to four sums in a row, separated by commas: more facts per token than one sum per line. */
    @Override
    public String line(SplittableRandom r) {
        int n = 2 + r.nextInt(3);
        List<String> sums = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] p = problem(r);
            sums.add(question(p) + " " + p[2]);
        }
        return String.join(" , ", sums);
    }

    @Override
    public Item item(SplittableRandom r) {
        int[] p = problem(r);
        int c = p[2];
        // Wrong answers are near misses that differ in the units digit and have as many digits as the answer (a choice
        // that is a prefix of another, "1" against "12", would win on likelihood alone).
        List<Integer> deltas = new ArrayList<>(List.of(-1, 1, -2, 2, -3, 3, -9, 9, -11, 11, -4, 4, -5, 5));
        Set<Integer> wrong = new LinkedHashSet<>();
        int digits = String.valueOf(c).length();
        while (wrong.size() < 3) {
            int x = c + deltas.remove(r.nextInt(deltas.size()));
            if (x >= 0 && String.valueOf(x).length() == digits) {
                wrong.add(x);
            }
        }
        List<String> w = new ArrayList<>();
        wrong.forEach(x -> w.add(String.valueOf(x)));
        // Like a line: zero to two solved sums first, then the question.
        StringBuilder ctx = new StringBuilder();
        for (int i = r.nextInt(3); i > 0; i--) {
            int[] q = problem(r);
            ctx.append(question(q)).append(' ').append(q[2]).append(" , ");
        }
        return Domain.shuffled(r, ctx + question(p), String.valueOf(c), w);
    }
}
