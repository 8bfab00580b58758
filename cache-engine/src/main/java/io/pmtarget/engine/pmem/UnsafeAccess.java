package io.pmtarget.engine.pmem;

import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * Raw memory access for the mapped region. {@code sun.misc.Unsafe} lives in the exported
 * {@code jdk.unsupported} module, so no {@code --add-opens} is needed beyond what Chronicle Bytes already
 * requires; on JDK 23+ the {@code --sun-misc-unsafe-memory-access=allow} flag (parent pom) keeps it quiet.
 */
final class UnsafeAccess {

    static final sun.misc.Unsafe UNSAFE = loadUnsafe();

    /** Offset of {@code java.nio.Buffer.address}: the start address of a direct buffer (not its position). */
    private static final long BUFFER_ADDRESS_FIELD_OFFSET = addressFieldOffset();

    static final long BYTE_ARRAY_BASE_OFFSET = sun.misc.Unsafe.ARRAY_BYTE_BASE_OFFSET;

    private UnsafeAccess() {
    }

    /** Address of {@code buf}'s current position; {@code buf} must be direct. */
    static long addressAtPosition(ByteBuffer buf) {
        if (!buf.isDirect()) {
            throw new IllegalArgumentException("not a direct buffer: " + buf);
        }
        long base = UNSAFE.getLong(buf, BUFFER_ADDRESS_FIELD_OFFSET);
        if (base == 0) {
            throw new IllegalStateException("direct buffer without an address (freed?): " + buf);
        }
        return base + buf.position();
    }

    private static sun.misc.Unsafe loadUnsafe() {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("cannot obtain sun.misc.Unsafe: " + e);
        }
    }

    @SuppressWarnings("deprecation") // objectFieldOffset is deprecated for removal on newer JDKs; still present in 25
    private static long addressFieldOffset() {
        try {
            return UNSAFE.objectFieldOffset(Buffer.class.getDeclaredField("address"));
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError("java.nio.Buffer.address not found: " + e);
        }
    }
}
