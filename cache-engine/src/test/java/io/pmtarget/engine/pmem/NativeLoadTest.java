package io.pmtarget.engine.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class NativeLoadTest {

    /** With gcc present the build must have produced a loadable helper; a skip here would hide a broken build. */
    @Test
    void nativeHelperLoadsWhenTheBuildMadeIt() {
        boolean gcc = Files.isExecutable(Path.of("/usr/bin/gcc"));
        if (NativeExpectation.expected()) {
            assertTrue(gcc, "profile native-gcc active without /usr/bin/gcc?");
            assertNull(NativePmem.load(), "gcc exists and the native profile ran, so the helper must load");
        } else {
            assumeTrue(false, "native profile not active (no /usr/bin/gcc or -P !native-gcc): Java fallback only");
        }
    }

    /** The machine has CLWB (FACTS.md); CPUID must pick it when present, as /proc/cpuinfo says. */
    @Test
    void cpuidPicksTheBestFlushInstruction() throws Exception {
        assumeTrue(NativeExpectation.nativeLoads(), "native helper not loaded");
        String flags = Files.readString(Path.of("/proc/cpuinfo"));
        String expected = flags.contains(" clwb") ? "clwb" : flags.contains(" clflushopt") ? "clflushopt" : "clflush";
        assertEquals(expected, NativePmem.flushInstruction());
    }
}
