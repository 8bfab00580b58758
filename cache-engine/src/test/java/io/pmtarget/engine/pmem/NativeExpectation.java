package io.pmtarget.engine.pmem;

/**
 * Whether the native helper should and does load. The Maven profile {@code native-gcc} (active when
 * {@code /usr/bin/gcc} exists) builds the library and sets {@code pmtarget.native.expected=true}, so a broken
 * native build fails {@link NativeLoadTest} instead of silently testing only the Java fallback.
 */
final class NativeExpectation {

    private NativeExpectation() {
    }

    static boolean expected() {
        return Boolean.getBoolean("pmtarget.native.expected");
    }

    static boolean nativeLoads() {
        return NativePmem.load() == null;
    }
}
