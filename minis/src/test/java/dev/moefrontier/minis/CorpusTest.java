package dev.moefrontier.minis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The corpus generator: deterministic, balanced where promised, and every item's gold answer is actually right. */
class CorpusTest {
    @Test
    void linesAreDeterministicAndSplitsDiffer() {
        assertEquals(Corpus.lines(Corpus.Split.TRAIN, 1000, 50), Corpus.lines(Corpus.Split.TRAIN, 1000, 50));
        assertEquals(Corpus.line(Corpus.Split.TEST, 7), Corpus.lines(Corpus.Split.TEST, 5, 5).get(2));
        assertNotEquals(Corpus.lines(Corpus.Split.TRAIN, 0, 20), Corpus.lines(Corpus.Split.TEST, 0, 20));
        assertEquals(Corpus.items(20), Corpus.items(20));
    }

    @Test
    void evaluationSplitsAreBalancedAndTrainingMixesDomains() {
        Map<String, Integer> test = new TreeMap<>();
        Corpus.lines(Corpus.Split.TEST, 0, 500).forEach(l -> test.merge(l.domain(), 1, Integer::sum));
        assertEquals(Map.of("arith", 100, "brackets", 100, "grammar", 100, "lists", 100, "records", 100), test);
        Map<String, Integer> train = new TreeMap<>();
        Corpus.lines(Corpus.Split.TRAIN, 0, 5000).forEach(l -> train.merge(l.domain(), 1, Integer::sum));
        train.values().forEach(c -> assertTrue(c > 850 && c < 1150, "roughly uniform: " + train));
    }

    static final Pattern ARITH = Pattern.compile("(\\d+) ([+]) (\\d+) = (\\d+)");
    static final Pattern LISTS = Pattern.compile("(copy|rev|sort) ([\\d ]+) : ([\\d ]+)");

    @Test
    void linesFollowTheirDomainsRules() {
        for (Corpus.Line l : Corpus.lines(Corpus.Split.TEST, 0, 1000)) {
            switch (l.domain()) {
                case "arith" -> {
                    for (String sum : l.text().split(" , ")) {
                        Matcher m = ARITH.matcher(sum);
                        assertTrue(m.matches(), l.text());
                        assertEquals(Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), l.text());
                    }
                }
                case "lists" -> {
                    Matcher m = LISTS.matcher(l.text());
                    assertTrue(m.matches(), l.text());
                    assertEquals(apply(m.group(1), m.group(2)), m.group(3), l.text());
                }
                case "brackets" -> assertTrue(balanced(l.text()), l.text());
                case "records" -> {
                    String[] parts = l.text().split(" ; ");
                    String[] q = parts[1].split(" \\? ");
                    assertTrue((" " + parts[0] + " ,").contains(" " + q[0] + " : " + q[1] + " ,"), l.text());
                }
                case "grammar" -> assertTrue(l.text().endsWith(" ."), l.text());
                default -> throw new AssertionError("unknown domain " + l.domain());
            }
        }
    }

    @Test
    void everyItemsGoldIsTheRightAnswer() {
        for (Corpus.TaskItem t : Corpus.items(60)) {
            Domain.Item it = t.item();
            String gold = it.choices().get(it.gold());
            assertEquals(it.choices().size(), it.choices().stream().distinct().count(), "distinct choices");
            switch (t.domain()) {
                case "arith" -> {
                    String full = it.context() + " " + gold;
                    int at = full.lastIndexOf(" , ");
                    String last = at < 0 ? full : full.substring(at + 3); // the asked sum, after any solved ones
                    assertTrue(ARITH.matcher(last).matches(), last);
                    Matcher m = ARITH.matcher(last);
                    m.matches();
                    assertEquals(Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), last);
                    for (String c : it.choices()) {
                        if (!c.equals(gold)) {
                            assertNotEquals(gold.charAt(gold.length() - 1), c.charAt(c.length() - 1), "wrong answers differ in the units digit");
                            assertEquals(gold.length(), c.length(), "no choice is a prefix of another");
                        }
                    }
                }
                case "lists" -> {
                    Matcher m = LISTS.matcher(it.context() + " " + gold);
                    assertTrue(m.matches());
                    assertEquals(apply(m.group(1), m.group(2)), m.group(3));
                }
                case "brackets" -> {
                    assertTrue(balanced(it.context() + " " + gold), it.context() + " " + gold);
                    for (String c : it.choices()) {
                        if (!c.equals(gold)) {
                            assertTrue(!balanced(it.context() + " " + c), "only the gold closes the brackets: " + c);
                        }
                    }
                }
                case "records" -> {
                    String key = it.context().substring(it.context().lastIndexOf(';') + 2, it.context().length() - 2);
                    assertTrue(it.context().contains(key + " : " + gold + " ,") || it.context().contains(key + " : " + gold + " ;"), it.context());
                }
                case "grammar" -> {
                    boolean agreement = it.choices().size() == 2;
                    if (agreement) { // "the [adjective] noun [that ...]" or a name (singular); plural verbs lack the s
                        boolean plural = it.context().startsWith("the ") && realNoun(it.context()).endsWith("s");
                        assertEquals(plural, !gold.split(" ")[0].endsWith("s"), it.context() + " -> " + gold);
                    } else {
                        assertEquals(4, it.choices().size());
                    }
                }
                default -> throw new AssertionError(t.domain());
            }
        }
    }

    /** The subject noun of "the [adjective] noun ...". */
    private static String realNoun(String s) {
        String[] w = s.split(" ");
        return List.of("old", "small", "happy", "tired", "brave", "red").contains(w[1]) ? w[2] : w[1];
    }

    static String apply(String op, String list) {
        List<Integer> xs = new ArrayList<>();
        for (String x : list.trim().split(" ")) {
            xs.add(Integer.parseInt(x));
        }
        switch (op) {
            case "rev" -> Collections.reverse(xs);
            case "sort" -> Collections.sort(xs);
            default -> { }
        }
        return String.join(" ", xs.stream().map(String::valueOf).toList());
    }

    static boolean balanced(String s) {
        StringBuilder stack = new StringBuilder();
        for (char c : s.toCharArray()) {
            int open = "([{".indexOf(c);
            int close = ")]}".indexOf(c);
            if (open >= 0) {
                stack.append(c);
            } else if (close >= 0) {
                if (stack.length() == 0 || "([{".indexOf(stack.charAt(stack.length() - 1)) != close) {
                    return false;
                }
                stack.setLength(stack.length() - 1);
            }
        }
        return stack.length() == 0;
    }
}
