package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VolumeOptionsTest {

    @Test
    void defaultsAreDmWritecachePmemDefaults() {
        VolumeOptions o = VolumeOptions.parse(Map.of());
        assertEquals(VolumeOptions.defaults(), o);
        assertEquals(50, o.highWatermarkPct());
        assertEquals(45, o.lowWatermarkPct());
        assertEquals(64, o.autocommitBlocks());
        assertEquals(1000, o.autocommitTimeMs());
        assertEquals(0, o.writebackJobsMax());
        assertEquals(0, o.startSectorCount());
        assertFalse(o.cleaner());
    }

    @Test
    void acceptsEveryOptionInRange() {
        VolumeOptions o = VolumeOptions.parse(opts("start_sector", "8", "high_watermark", "80", "low_watermark", "80",
                "writeback_jobs", "512", "autocommit_blocks", "1", "autocommit_time", "3600000", "max_age", "60000",
                "cleaner", "", "nofua", ""));
        assertEquals(8, o.startSectorCount());
        assertEquals(80, o.lowWatermarkPct());
        assertEquals(512, o.writebackJobsMax());
        assertEquals(3_600_000, o.autocommitTimeMs());
        assertEquals(60_000, o.maxAgeMs());
        assertTrue(o.cleaner());
        assertFalse(o.fua());
        Volumes.validateOptions(opts("fua", "true"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "start_sector|-1|start_sector: -1 is out of range",
        "start_sector|x|start_sector: not a whole number",
        "high_watermark|101|high_watermark: 101 is out of range 0..100",
        "high_watermark|-1|high_watermark: -1 is out of range",
        "low_watermark|101|low_watermark: 101 is out of range",
        "low_watermark|60|low_watermark: 60 is above high_watermark 50",
        "writeback_jobs|-5|writeback_jobs: -5 is out of range",
        "autocommit_blocks|0|autocommit_blocks: 0 is out of range",
        "autocommit_time|0|autocommit_time: 0 is out of range",
        "autocommit_time|3600001|autocommit_time: 3600001 is out of range 1..3600000",
        "max_age|0|max_age: 0 is out of range",
        "max_age|86400001|max_age: 86400001 is out of range",
        "cleaner|maybe|cleaner: not a flag value",
        "fua|2|fua: not a flag value",
        "bogus|1|bogus: unknown option",
        "autocommit_blocks|''|autocommit_blocks: needs a value",
    })
    void rejectsWithKeyAndProblem(String key, String value, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Volumes.validateOptions(opts(key, value)));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void fuaAndNofuaTogetherContradict() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Volumes.validateOptions(opts("fua", "", "nofua", "")));
        assertTrue(e.getMessage().contains("contradicts"), e.getMessage());
    }
}
