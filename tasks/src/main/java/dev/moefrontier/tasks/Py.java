package dev.moefrontier.tasks;

import java.util.Locale;

/** Python string functions as lm-eval's templates use them, where Java's differ. */
final class Py {
    private Py() {}

    /** Python's str.isspace for one character (includes no-break spaces, which Java's isWhitespace does not). */
    static boolean space(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u001c' || c == '\u001d' || c == '\u001e' || c == '\u001f';
    }

    static String strip(String s) {
        return rstrip(lstrip(s));
    }

    static String lstrip(String s) {
        int i = 0;
        while (i < s.length() && space(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s) {
        int j = s.length();
        while (j > 0 && space(s.charAt(j - 1))) {
            j--;
        }
        return s.substring(0, j);
    }

    /** str.capitalize(): first character title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return new String(Character.toChars(Character.toTitleCase(first))) + s.substring(n).toLowerCase(Locale.ROOT);
    }
}
