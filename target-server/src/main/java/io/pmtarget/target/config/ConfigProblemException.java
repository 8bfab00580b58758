package io.pmtarget.target.config;

import java.util.List;

/**
 * A configuration that cannot be used. Each problem reads {@code file:line: key: problem}; all
 * problems found in one pass are reported together so an operator fixes them in one round.
 */
public final class ConfigProblemException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigProblemException(List<String> problems) {
        super(String.join("\n", problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a config problem exception needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** Every problem, each of the form {@code file:line: key: problem}, in file order of discovery. */
    public List<String> problems() {
        return problems;
    }
}
