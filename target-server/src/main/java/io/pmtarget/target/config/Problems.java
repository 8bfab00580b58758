package io.pmtarget.target.config;

import com.typesafe.config.ConfigOrigin;
import java.util.ArrayList;
import java.util.List;

/** Collects config errors and warnings, each located as {@code file:line: key: problem}. */
final class Problems {

    /** After this many errors the rest is noise: the operator fixes these and runs again. */
    static final int ERRORS_MAX = 100;

    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private int errorsDropped;

    void error(ConfigOrigin origin, String key, String problem) {
        if (errors.size() >= ERRORS_MAX) {
            errorsDropped++;
            return;
        }
        errors.add(format(origin, key, problem));
    }

    void warning(ConfigOrigin origin, String key, String problem) {
        warnings.add(format(origin, key, problem));
    }

    void warning(String text) {
        warnings.add(text);
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }

    void throwIfAny() throws ConfigProblemException {
        if (errors.isEmpty()) {
            return;
        }
        List<String> all = new ArrayList<>(errors);
        if (errorsDropped > 0) {
            all.add("(" + errorsDropped + " more errors not shown)");
        }
        throw new ConfigProblemException(all);
    }

    static String format(ConfigOrigin origin, String key, String problem) {
        return location(origin) + ": " + key + ": " + problem;
    }

    /** {@code file:line}, or the resource name or description when the origin is not a file. */
    static String location(ConfigOrigin origin) {
        String where = origin.filename();
        if (where == null) {
            where = origin.resource();
        }
        if (where == null) {
            where = origin.description();
        }
        int line = origin.lineNumber();
        return line > 0 ? where + ":" + line : where;
    }
}
