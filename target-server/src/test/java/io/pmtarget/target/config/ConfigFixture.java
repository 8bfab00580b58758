package io.pmtarget.target.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Writes config text to a file and checks loader results, locating expected errors by marker text. */
final class ConfigFixture {

    /** Accepts any options: these tests are about the config file, not the engine's option rules. */
    static final Consumer<Map<String, String>> ACCEPT_OPTIONS = options -> { };

    final Path dir;
    final Path file;

    ConfigFixture(Path dir) {
        this.dir = dir;
        this.file = dir.resolve("t.conf");
    }

    /** A valid config: one volume, one target; {@code extraTarget} is spliced into the target block. */
    static String minimal(String extraVolume, String extraTarget) {
        return String.join("\n",
                "server { data-dir = \"data\" }",
                "volumes {",
                "  v0 {",
                "    cache-file = \"v0.cache\"",
                "    cache-size = 64MiB",
                "    backing-file = \"v0.img\"",
                "    backing-size = 1GiB",
                extraVolume,
                "  }",
                "}",
                "targets {",
                "  \"iqn.2026-11.io.pmtarget:t0\" {",
                "    portals = [\"127.0.0.1:3260\"]",
                "    allow-any-initiator = true",
                extraTarget,
                "    luns { 0 { volume = v0 } }",
                "  }",
                "}",
                "");
    }

    ServerConfig load(String text) throws Exception {
        return load(text, ACCEPT_OPTIONS);
    }

    ServerConfig load(String text, Consumer<Map<String, String>> validator) throws Exception {
        Files.writeString(file, text);
        return new ConfigLoader(validator).load(file, null, dir);
    }

    List<String> problems(String text) throws IOException {
        return problems(text, ACCEPT_OPTIONS);
    }

    List<String> problems(String text, Consumer<Map<String, String>> validator) throws IOException {
        Files.writeString(file, text);
        ConfigProblemException e = assertThrows(ConfigProblemException.class,
                () -> new ConfigLoader(validator).load(file, null, dir));
        return e.problems();
    }

    /** 1-based line of the first line containing {@code marker}. */
    static int lineOf(String text, String marker) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(marker)) {
                return i + 1;
            }
        }
        throw new AssertionError("marker not in text: " + marker);
    }

    /** Asserts exactly one problem, at {@code file:line: key: } with {@code fragment} in its text. */
    void assertOnly(List<String> problems, int line, String key, String fragment) {
        assertEquals(1, problems.size(), () -> "expected one problem, got " + problems);
        assertProblem(problems, line, key, fragment);
    }

    void assertProblem(List<String> problems, int line, String key, String fragment) {
        String prefix = file + ":" + line + ": " + key + ": ";
        for (String problem : problems) {
            if (problem.startsWith(prefix)) {
                assertTrue(problem.contains(fragment), () -> "'" + problem + "' lacks '" + fragment + "'");
                return;
            }
        }
        fail("no problem starting with '" + prefix + "' in " + problems);
    }
}
