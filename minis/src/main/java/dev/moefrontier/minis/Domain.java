package dev.moefrontier.minis;

import java.util.List;
import java.util.SplittableRandom;

/**
 * One domain of the mini corpus: a generator of text lines whose statistics differ from the other domains' (so that
 * experts can specialize), and of multiple-choice items that need the domain's skill (the correct continuation
 * against plausible corruptions). Tokens are separated by spaces, so lm-eval's " " + choice continuation matches the
 * training text.
 */
public interface Domain {
    /** Short name, e.g. {@code arith}. */
    String name();

    /** One line of text. */
    String line(SplittableRandom r);

    /** One multiple-choice item. */
    Item item(SplittableRandom r);

    /**
     * A multiple-choice item.
     *
     * @param context text before the answer (no trailing space)
     * @param choices candidate continuations (without the leading space)
     * @param gold index of the correct one
     */
    record Item(String context, List<String> choices, int gold) {
        public Item {
            if (gold < 0 || gold >= choices.size() || choices.stream().distinct().count() != choices.size()) {
                throw new IllegalArgumentException("bad item " + context + " " + choices + " " + gold);
            }
        }
    }

    /** Puts {@code correct} among {@code wrong} at a random position. */
    static Item shuffled(SplittableRandom r, String context, String correct, List<String> wrong) {
        List<String> c = new java.util.ArrayList<>(wrong);
        int gold = r.nextInt(c.size() + 1);
        c.add(gold, correct);
        return new Item(context, List.copyOf(c), gold);
    }

    static <T> T pick(SplittableRandom r, List<T> xs) {
        return xs.get(r.nextInt(xs.size()));
    }
}
