package io.pmtarget.target.config;

import static io.pmtarget.target.config.ConfigFixture.lineOf;
import static io.pmtarget.target.config.ConfigFixture.minimal;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pmtarget.engine.volume.Volumes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * DEPENDS ON THE CACHE ENGINE: dm-writecache option values checked by the real
 * {@code Volumes.validateOptions} through the default {@link ConfigLoader}. Disabled (reported as
 * skipped, not passed) while the engine's validateOptions still throws UnsupportedOperationException.
 */
@EnabledIf("engineValidatesOptions")
class EngineOptionValidationTest {

    @TempDir
    Path dir;
    ConfigFixture fx;

    static boolean engineValidatesOptions() {
        try {
            Volumes.validateOptions(Map.of());
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    @BeforeEach
    void setUp() {
        fx = new ConfigFixture(dir);
    }

    private List<String> problems(String text) throws Exception {
        Files.writeString(fx.file, text);
        return org.junit.jupiter.api.Assertions.assertThrows(ConfigProblemException.class,
                () -> new ConfigLoader().load(fx.file, null, dir)).problems();
    }

    @Test
    void goodOptionsPass() throws Exception {
        String text = minimal("    options {\n      high_watermark = 50\n      low_watermark = 45\n"
                + "      writeback_jobs = 0\n      autocommit_blocks = 64\n      autocommit_time = 1000\n    }", "");
        Files.writeString(fx.file, text);
        assertEquals("50", new ConfigLoader().load(fx.file, null, dir).volumes().get("v0").options()
                .get("high_watermark"));
    }

    @Test
    void outOfRangeWatermarkIsLocated() throws Exception {
        String text = minimal("    options {\n      high_watermark = 150\n    }", "");
        List<String> problems = problems(text);
        assertEquals(1, problems.size(), problems::toString);
        fx.assertProblem(problems, lineOf(text, "high_watermark"), "volumes.v0.options.high_watermark", "");
    }

    @Test
    void autocommitTimeAboveMaximum() throws Exception {
        // DESIGN 2.4: autocommit_time max 3600000 ms.
        String text = minimal("    options {\n      autocommit_time = 3600001\n    }", "");
        fx.assertProblem(problems(text), lineOf(text, "autocommit_time"), "volumes.v0.options.autocommit_time", "");
    }
}
