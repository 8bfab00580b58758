package io.pmtarget.engine.pmem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * JNI binding of {@code src/main/c/pmtarget_pmem.c}, which the Maven build compiles with gcc into
 * {@code native/linux-x86_64/} inside the jar. {@link #load()} extracts it to a temporary file and loads it
 * once; every method takes raw addresses so direct buffers are copied without a Java-side copy.
 *
 * <p>Callers must bounds-check: the C code trusts every address and length it is given.
 */
final class NativePmem {

    static final String RESOURCE = "/native/linux-x86_64/libpmtarget_pmem.so";

    /** Flush instruction codes returned by {@link #nativeInit()}; must match the C file. */
    private static final int FLUSH_CLFLUSH = 1;
    private static final int FLUSH_CLFLUSHOPT = 2;
    private static final int FLUSH_CLWB = 3;

    private static final Object LOCK = new Object();
    private static volatile boolean loaded;
    private static String flushInstruction;
    private static String loadFailure;

    private NativePmem() {
    }

    /** Loads the library if not yet done; returns null on success, otherwise why it could not load. */
    static String load() {
        synchronized (LOCK) {
            if (loaded) {
                return null;
            }
            if (loadFailure != null) {
                return loadFailure;
            }
            try {
                loadOnce();
                loaded = true;
                return null;
            } catch (IOException | LinkageError | RuntimeException e) {
                loadFailure = "native pmem helper " + RESOURCE + " did not load: " + e;
                return loadFailure;
            }
        }
    }

    static boolean isLoaded() {
        return loaded;
    }

    /** "clwb", "clflushopt" or "clflush": what CPUID selected. Only valid after a successful {@link #load()}. */
    static String flushInstruction() {
        if (!loaded) {
            throw new IllegalStateException("native pmem helper not loaded");
        }
        return flushInstruction;
    }

    private static void loadOnce() throws IOException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new UnsupportedOperationException("only linux-x86_64 is built, this is " + os + "/" + arch);
        }
        Path tmp;
        try (InputStream in = NativePmem.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("resource not on the class path (built without gcc?)");
            }
            tmp = Files.createTempFile("pmtarget_pmem", ".so");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            System.load(tmp.toAbsolutePath().toString());
        } finally {
            // The mapping of a loaded library outlives its directory entry.
            Files.deleteIfExists(tmp);
        }
        int code = nativeInit();
        switch (code) {
            case FLUSH_CLWB -> flushInstruction = "clwb";
            case FLUSH_CLFLUSHOPT -> flushInstruction = "clflushopt";
            case FLUSH_CLFLUSH -> flushInstruction = "clflush";
            default -> throw new IllegalStateException("native init returned unknown flush code " + code);
        }
    }

    /** Runs CPUID and returns the FLUSH_* code of the best write-back instruction. */
    private static native int nativeInit();

    /** Non-temporal copy (unaligned head/tail stored plainly and flushed); durable after {@link #drain()}. */
    static native void copyPersistent(long dstAddress, long srcAddress, long lengthBytes);

    /**
     * {@link #copyPersistent} from {@code src[srcOffset, srcOffset + lengthBytes)}, pinning the array for the copy
     * (JNI critical region) instead of staging it through a direct buffer.
     */
    static native void copyPersistentFromArray(long dstAddress, byte[] src, int srcOffset, int lengthBytes);

    /** Write-back of every cache line touching {@code [address, address + lengthBytes)}; no fence. */
    static native void flush(long address, long lengthBytes);

    /** SFENCE. */
    static native void drain();

    /** Aligned 8-byte store, write-back of its line, SFENCE. */
    static native void persistLong(long address, long value);
}
