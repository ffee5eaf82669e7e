package dev.moefrontier.tasks;

import dev.moefrontier.harness.data.Records;

/**
 * The minis' multiple-choice suite ({@code mini_mc.jsonl}: {@code {"domain", "context", "choices", "label"}}, written
 * by {@code frontier mini-data}): per domain, the correct continuation against plausible corruptions, scored exactly
 * like the lm-eval tasks (" " + choice after the context; acc and acc_norm). Results nest per domain
 * ({@code mini_mc_arith}, ...); {@code mini_mc} is the mean over all items (equal counts per domain).
 */
public final class MiniChoice extends MultipleChoiceTask {
    @Override
    public String name() {
        return "mini_mc";
    }

    @Override
    public String description() {
        return "embedded minis: per-domain multiple choice (correct continuation vs corruptions), acc";
    }

    @Override
    public String version() {
        return "1.0";
    }

    @Override
    protected boolean accNorm() {
        return true;
    }

    /** acc: the choices of one item are comparable strings of similar length. */
    @Override
    public String headline() {
        return "acc";
    }

    @Override
    protected Doc doc(Records.Row row) {
        Doc d = standard(row.string("context"), row.strings("choices"), (int) row.integer("label"), row);
        return new Doc(d.contexts(), d.continuations(), d.gold(), d.choices(), row.string("domain"));
    }
}
