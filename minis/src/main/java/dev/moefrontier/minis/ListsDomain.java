package dev.moefrontier.minis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * List manipulation ("rev 3 1 4 : 4 1 3", "sort 5 2 8 : 2 5 8", "copy 7 2 : 7 2"). Items ask for the result; the
 * corruptions are the other operations' results and a shuffle.
 */
final class ListsDomain implements Domain {
    private static final List<String> OPS = List.of("copy", "rev", "sort");

    @Override
    public String name() {
        return "lists";
    }

    private static List<Integer> list(SplittableRandom r) {
        List<Integer> xs = new ArrayList<>();
        int n = 3 + r.nextInt(2);
        for (int i = 0; i < n; i++) {
            xs.add(r.nextInt(10));
        }
        return xs;
    }

    private static List<Integer> apply(String op, List<Integer> xs) {
        List<Integer> out = new ArrayList<>(xs);
        switch (op) {
            case "rev" -> Collections.reverse(out);
            case "sort" -> Collections.sort(out);
            default -> { }
        }
        return out;
    }

    private static String text(List<Integer> xs) {
        return String.join(" ", xs.stream().map(String::valueOf).toList());
    }

    @Override
    public String line(SplittableRandom r) {
        String op = Domain.pick(r, OPS);
        List<Integer> xs = list(r);
        return op + " " + text(xs) + " : " + text(apply(op, xs));
    }

    @Override
    public Item item(SplittableRandom r) {
        while (true) {
            String op = Domain.pick(r, OPS);
            List<Integer> xs = list(r);
            String correct = text(apply(op, xs));
            Set<String> wrong = new LinkedHashSet<>();
            for (String o : OPS) {
                wrong.add(text(apply(o, xs)));
            }
            for (int tries = 0; tries < 20 && wrong.size() < 4; tries++) {
                List<Integer> s = new ArrayList<>(xs);
                for (int i = s.size() - 1; i > 0; i--) {
                    Collections.swap(s, i, r.nextInt(i + 1));
                }
                wrong.add(text(s));
            }
            wrong.remove(correct);
            if (wrong.size() >= 3) {
                return Domain.shuffled(r, op + " " + text(xs) + " :", correct, new ArrayList<>(wrong).subList(0, 3));
            }
        }
    }
}
