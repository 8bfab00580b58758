package io.pmtarget.engine.pmem;

/** Durability through the JNI helper: cache-line write-back instructions and non-temporal copies. */
final class NativePersister implements Persister {

    private final String name;

    NativePersister() {
        this.name = "native-" + NativePmem.flushInstruction();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void copyPersistent(long offset, long dstAddress, long srcAddress, long lengthBytes) {
        NativePmem.copyPersistent(dstAddress, srcAddress, lengthBytes);
    }

    @Override
    public void copyPersistent(long offset, long dstAddress, byte[] src, int srcIndex, int lengthBytes) {
        NativePmem.copyPersistentFromArray(dstAddress, src, srcIndex, lengthBytes);
    }

    @Override
    public void flush(long offset, long address, long lengthBytes) {
        NativePmem.flush(address, lengthBytes);
    }

    @Override
    public void drain() {
        NativePmem.drain();
    }

    @Override
    public void writeDurable(long dataOffset, long dstAddress, long srcAddress, int lengthBytes,
            long wordsOffset, long wordsAddress, long first, long second) {
        NativePmem.writeDurable(dstAddress, srcAddress, lengthBytes, wordsAddress, first, second);
    }

    @Override
    public void writeDurable(long dataOffset, long dstAddress, byte[] src, int srcIndex, int lengthBytes,
            long wordsOffset, long wordsAddress, long first, long second) {
        NativePmem.writeDurableFromArray(dstAddress, src, srcIndex, lengthBytes, wordsAddress, first, second);
    }

    @Override
    public void writeLongsPersistent(long base, long firstOffset, int strideBytes, int[] indexes, int count,
            long value) {
        NativePmem.writeLongsPersistent(base + firstOffset, strideBytes, indexes, count, value);
    }

    @Override
    public void persistLong(long offset, long address, long value) {
        NativePmem.persistLong(address, value);
    }
}
