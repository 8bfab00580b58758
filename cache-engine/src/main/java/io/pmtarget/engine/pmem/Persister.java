package io.pmtarget.engine.pmem;

/**
 * How stores to the mapping become durable. Callers have already bounds-checked every range; each method
 * receives both the file offset (for msync views) and the absolute address (for cache-line instructions).
 */
interface Persister {

    /** Mode name for logs and status, without the mapping suffix (e.g. "native-clwb", "java-msync"). */
    String name();

    /** Copies {@code lengthBytes} from native memory at {@code srcAddress}; durable after the next {@link #drain}. */
    void copyPersistent(long offset, long dstAddress, long srcAddress, long lengthBytes);

    /** Copies {@code lengthBytes} from {@code src[srcIndex...]}; durable after the next {@link #drain}. */
    void copyPersistent(long offset, long dstAddress, byte[] src, int srcIndex, int lengthBytes);

    /** Starts (or, for msync, completes) the write-back of the range. */
    void flush(long offset, long address, long lengthBytes);

    /** Every earlier flush and persistent copy is durable when this returns. */
    void drain();

    /**
     * Stores the two words at {@code wordsAddress} (none when it is 0), copies {@code lengthBytes} from native
     * memory at {@code srcAddress} to {@code dstAddress}; all durable when this returns.
     */
    void writeDurable(long dataOffset, long dstAddress, long srcAddress, int lengthBytes,
            long wordsOffset, long wordsAddress, long first, long second);

    /** {@link #writeDurable(long, long, long, int, long, long, long, long)} from {@code src[srcIndex...]}. */
    void writeDurable(long dataOffset, long dstAddress, byte[] src, int srcIndex, int lengthBytes,
            long wordsOffset, long wordsAddress, long first, long second);

    /**
     * Stores value at {@code firstOffset + indexes[i] * strideBytes} (address: base + that) for i < count;
     * durable after the next {@link #drain}.
     */
    void writeLongsPersistent(long base, long firstOffset, int strideBytes, int[] indexes, int count, long value);

    /** Aligned 8-byte store that is durable when this returns. */
    void persistLong(long offset, long address, long value);
}
