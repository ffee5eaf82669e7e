package dev.moefrontier.minis;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A small English grammar with subject-verb agreement across a relative clause ("the old dogs that the cat sees run")
 * and pronoun coreference in a second sentence ("anna sees the birds . she sings ."). Items ask for the agreeing verb
 * form, or for the pronoun that refers to the first sentence's subject.
 */
final class GrammarDomain implements Domain {
    /** Noun, plural, and its pronoun when singular (he/she for people, it for things). */
    private record Noun(String sg, String pl, String pronoun) {}

    private static final List<Noun> NOUNS = List.of(new Noun("dog", "dogs", "it"), new Noun("cat", "cats", "it"),
            new Noun("bird", "birds", "it"), new Noun("horse", "horses", "it"), new Noun("king", "kings", "he"),
            new Noun("queen", "queens", "she"), new Noun("boy", "boys", "he"), new Noun("girl", "girls", "she"),
            new Noun("farmer", "farmers", "he"), new Noun("nurse", "nurses", "she"));
    private static final List<String> NAMES_HE = List.of("tom", "sam", "max", "leo");
    private static final List<String> NAMES_SHE = List.of("anna", "mia", "eva", "zoe");
    private static final List<String> ADJECTIVES = List.of("old", "small", "happy", "tired", "brave", "red");
    /** Transitive verbs (base form; third person singular adds s). */
    private static final List<String> TRANSITIVE = List.of("see", "follow", "help", "find", "call", "like");
    private static final List<String> INTRANSITIVE = List.of("run", "sleep", "sing", "jump", "swim", "smile");

    @Override
    public String name() {
        return "grammar";
    }

    /** A subject: text, whether plural, and its pronoun. */
    private record Subject(String text, boolean plural, String pronoun) {}

    private static Subject subject(SplittableRandom r) {
        if (r.nextInt(4) == 0) {
            boolean he = r.nextBoolean();
            return new Subject(Domain.pick(r, he ? NAMES_HE : NAMES_SHE), false, he ? "he" : "she");
        }
        Noun n = Domain.pick(r, NOUNS);
        boolean plural = r.nextBoolean();
        String adj = r.nextInt(3) == 0 ? Domain.pick(r, ADJECTIVES) + " " : "";
        return new Subject("the " + adj + (plural ? n.pl() : n.sg()), plural, plural ? "they" : n.pronoun());
    }

    private static String verb(String base, boolean plural) {
        return plural ? base : base + "s";
    }

    /** "the dogs that the cat sees" (an attractor of the other number inside the clause), or just the subject. */
    private static String subjectPhrase(SplittableRandom r, Subject s) {
        if (r.nextInt(2) == 0 || !s.text().startsWith("the ")) {
            return s.text();
        }
        Noun other = Domain.pick(r, NOUNS);
        boolean otherPlural = !s.plural();
        return s.text() + " that the " + (otherPlural ? other.pl() : other.sg()) + " " + verb(Domain.pick(r, TRANSITIVE), otherPlural);
    }

    @Override
    public String line(SplittableRandom r) {
        Subject s = subject(r);
        String first = subjectPhrase(r, s) + " " + (r.nextBoolean() ? verb(Domain.pick(r, INTRANSITIVE), s.plural())
                : verb(Domain.pick(r, TRANSITIVE), s.plural()) + " the " + Domain.pick(r, NOUNS).pl());
        String second = s.pronoun() + " " + verb(Domain.pick(r, INTRANSITIVE), s.plural());
        return first + " . " + second + " .";
    }

    @Override
    public Item item(SplittableRandom r) {
        Subject s = subject(r);
        String phrase = subjectPhrase(r, s);
        if (r.nextBoolean()) { // agreement
            String v = Domain.pick(r, INTRANSITIVE);
            return Domain.shuffled(r, phrase, verb(v, s.plural()) + " .", List.of(verb(v, !s.plural()) + " ."));
        }
        String ctx = phrase + " " + verb(Domain.pick(r, INTRANSITIVE), s.plural()) + " .";
        List<String> wrong = new java.util.ArrayList<>(List.of("he", "she", "it", "they"));
        wrong.remove(s.pronoun());
        return Domain.shuffled(r, ctx, s.pronoun(), wrong);
    }
}
