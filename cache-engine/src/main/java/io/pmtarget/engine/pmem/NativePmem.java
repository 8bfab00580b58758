package io.pmtarget.engine.pmem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    /** {@link #punchHole} results; must match the C file. */
    static final int PUNCH_FILE_HOLE = 1;
    static final int PUNCH_BLOCK_DISCARD = 2;

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
        selfTest();
    }

    /**
     * JNI links each method lazily at its first call, so a library missing an entry point would load fine and
     * fail later in the I/O path. Call every entry point once on a scratch buffer and check the bytes.
     */
    private static void selfTest() {
        int lengthBytes = 100; // unaligned head and tail plus one 64-byte non-temporal block
        ByteBuffer scratch = ByteBuffer.allocateDirect(2 * lengthBytes).order(ByteOrder.nativeOrder());
        ByteBuffer source = ByteBuffer.allocateDirect(lengthBytes);
        byte[] array = new byte[lengthBytes];
        for (int i = 0; i < lengthBytes; i++) {
            source.put(i, (byte) (i + 1));
            array[i] = (byte) (255 - i);
        }
        long dst = UnsafeAccess.addressAtPosition(scratch);
        copyPersistent(dst + 3, UnsafeAccess.addressAtPosition(source), lengthBytes);
        // Disjoint ranges: [3, 103) direct, [105, 185) array, [192, 200) the persisted word.
        copyPersistentFromArray(dst + lengthBytes + 5, array, 0, lengthBytes - 20);
        persistLong(dst + 2L * lengthBytes - 8, 0x0123456789ABCDEFL);
        flush(dst, 2L * lengthBytes);
        drain();
        for (int i = 0; i < lengthBytes; i++) {
            check(scratch.get(3 + i) == (byte) (i + 1), "copyPersistent byte " + i);
        }
        for (int i = 0; i < lengthBytes - 20; i++) {
            check(scratch.get(lengthBytes + 5 + i) == (byte) (255 - i), "copyPersistentFromArray byte " + i);
        }
        check(scratch.getLong(2 * lengthBytes - 8) == 0x0123456789ABCDEFL, "persistLong");
        selfTestBatched(source, array);
    }

    /** The combined calls: [0, 16) the words, [64, 164) and [176, 216) the copies, 224 and 240 the stores. */
    private static void selfTestBatched(ByteBuffer source, byte[] array) {
        ByteBuffer scratch = ByteBuffer.allocateDirect(256).order(ByteOrder.nativeOrder());
        long dst = UnsafeAccess.addressAtPosition(scratch);
        writeDurable(dst + 64, UnsafeAccess.addressAtPosition(source), 100, dst, 0x1111222233334444L, -2L);
        writeDurableFromArray(dst + 176, array, 10, 40, 0, 1, 1);
        writeLongsPersistent(dst + 224, 16, new int[] {1, 0}, 2, 0x5555666677778888L);
        drain();
        check(scratch.getLong(0) == 0x1111222233334444L && scratch.getLong(8) == -2L, "writeDurable words");
        for (int i = 0; i < 100; i++) {
            check(scratch.get(64 + i) == (byte) (i + 1), "writeDurable byte " + i);
        }
        check(scratch.get(164) == 0 && scratch.getLong(16) == 0, "writeDurable wrote outside its ranges");
        for (int i = 0; i < 40; i++) {
            check(scratch.get(176 + i) == (byte) (255 - 10 - i), "writeDurableFromArray byte " + i);
        }
        check(scratch.getLong(224) == 0x5555666677778888L && scratch.getLong(240) == 0x5555666677778888L
                && scratch.getLong(232) == 0, "writeLongsPersistent");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("native pmem helper self-test failed: " + what);
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

    /**
     * Stores two words at {@code wordsAddress} (none when 0) non-temporally, copies like
     * {@link #copyPersistent}, then SFENCE: durable on return, with one wait for all of it.
     */
    static native void writeDurable(long dstAddress, long srcAddress, long lengthBytes, long wordsAddress,
            long first, long second);

    /** {@link #writeDurable} from a pinned array (JNI critical region). */
    static native void writeDurableFromArray(long dstAddress, byte[] src, int srcOffset, int lengthBytes,
            long wordsAddress, long first, long second);

    /** Non-temporal store of value at {@code firstAddress + indexes[i] * strideBytes} for i < count; no fence. */
    static native void writeLongsPersistent(long firstAddress, int strideBytes, int[] indexes, int count, long value);

    /** Aligned 8-byte store, write-back of its line, SFENCE. */
    static native void persistLong(long address, long value);

    /**
     * Discards {@code [offsetBytes, offsetBytes + lengthBytes)} of the file or block device at {@code path}:
     * {@link #PUNCH_FILE_HOLE} (fallocate punch hole, reads zeros), {@link #PUNCH_BLOCK_DISCARD} (BLKDISCARD,
     * reads not guaranteed zero) or -errno.
     */
    static native int punchHole(String path, long offsetBytes, long lengthBytes);
}
