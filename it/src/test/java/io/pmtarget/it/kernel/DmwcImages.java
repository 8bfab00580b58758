package io.pmtarget.it.kernel;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Test-side helpers for the dm-writecache interop test: seeded images, block-by-block comparison,
 * and a minimal reader of the dm-writecache v1 on-media format written from the kernel's struct
 * definitions (wc_memory_superblock / wc_memory_entry), independent of cache-engine's CacheLayout,
 * so that a shared misunderstanding of the format cannot make both sides agree.
 */
final class DmwcImages {
  static final int DMWC_MAGIC = 0x23489321;
  static final int SB_BYTES = 64;
  static final int ENTRY_BYTES = 16;
  static final int SECTOR_BYTES = 512;

  private DmwcImages() {
  }

  /** {@code sizeBytes} of seeded pseudo-random bytes. */
  static byte[] seeded(long seed, int sizeBytes) {
    byte[] b = new byte[sizeBytes];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** A zero-filled (sparse) file of exactly {@code sizeBytes}. */
  static Path zeroFile(Path file, long sizeBytes) throws IOException {
    Files.deleteIfExists(file);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(sizeBytes);
    }
    return file;
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Block numbers where the two images differ (both must have the same length). */
  static List<Integer> differingBlocks(byte[] expected, byte[] actual, int blockBytes) {
    if (expected.length != actual.length) {
      throw new AssertionError("image sizes differ: expected " + expected.length + ", got " + actual.length);
    }
    List<Integer> out = new ArrayList<>();
    for (int b = 0; b < expected.length / blockBytes; b++) {
      if (!java.util.Arrays.equals(expected, b * blockBytes, (b + 1) * blockBytes,
          actual, b * blockBytes, (b + 1) * blockBytes)) {
        out.add(b);
      }
    }
    return out;
  }

  /**
   * Describes differing blocks for an assertion message: for each of the first few, which known
   * version (names given by the caller, e.g. "backing original", "uncommitted write") it equals.
   */
  static String describe(List<Integer> blocks, byte[] actual, int blockBytes, Map<String, byte[]> versions) {
    StringBuilder sb = new StringBuilder(blocks.size() + " differing block(s)");
    for (int i = 0; i < Math.min(8, blocks.size()); i++) {
      int b = blocks.get(i);
      String what = "unknown data";
      for (Map.Entry<String, byte[]> v : versions.entrySet()) {
        if (java.util.Arrays.equals(v.getValue(), b * blockBytes, (b + 1) * blockBytes,
            actual, b * blockBytes, (b + 1) * blockBytes)) {
          what = v.getKey();
        }
      }
      sb.append("; block ").append(b).append(" holds ").append(what);
    }
    return sb.toString();
  }

  /** The superblock and committed entries of a dm-writecache v1 cache file. */
  record CacheFile(int blockBytes, long nBlocks, long seqCount, long dataStartBytes,
                   Map<Long, Integer> winnerBySector, int committedEntries, int uncommittedEntries,
                   java.util.Set<Long> uncommittedSectors, Map<Long, Integer> loserBySector, long baseBytes) {
    /** File offset of data block {@code entry} (start_sector included). */
    long dataOffset(int entry) {
      return baseBytes + dataStartBytes + (long) entry * blockBytes;
    }

    /** File offset of entry {@code entry}'s seq_count (start_sector included). */
    long seqOffset(int entry) {
      return baseBytes + SB_BYTES + (long) entry * ENTRY_BYTES + 8;
    }
  }

  /**
   * dm-writecache's n_blocks for a cache device of {@code deviceBytes} (calculate_memory_size in
   * drivers/md/dm-writecache.c): size / (block + 16 bytes), less while superblock, entries and the
   * block-aligned data do not fit.
   */
  static long kernelNBlocks(long deviceBytes, int blockBytes) {
    long n = deviceBytes / (blockBytes + ENTRY_BYTES);
    while (n > 0) {
      long metaBytes = (SB_BYTES + ENTRY_BYTES * n + blockBytes - 1) / blockBytes * blockBytes;
      if (metaBytes + n * blockBytes <= deviceBytes) {
        return n;
      }
      n--;
    }
    throw new AssertionError("no block of " + blockBytes + " fits in " + deviceBytes + " bytes");
  }

  /** Swaps the seq_counts of two entries in place (a negative control for "highest seq wins"). */
  static void swapSeqs(Path file, CacheFile cf, int entryA, int entryB) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer a = ByteBuffer.allocate(8);
      ByteBuffer b = ByteBuffer.allocate(8);
      ch.read(a, cf.seqOffset(entryA));
      ch.read(b, cf.seqOffset(entryB));
      ch.write(b.flip(), cf.seqOffset(entryA));
      ch.write(a.flip(), cf.seqOffset(entryB));
    }
  }

  /** The first {@code bytes} bytes of a file. */
  static byte[] head(Path file, int bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(bytes);
      ch.read(b, 0);
      return b.array();
    }
  }

  /** A zeroed (sparse) file of {@code sizeBytes} starting with {@code head} (a start_sector area). */
  static Path fileWithHead(Path file, long sizeBytes, byte[] head) throws IOException {
    zeroFile(file, sizeBytes);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(head), 0);
    }
    return file;
  }

  /**
   * Reads a cache file: committed = seq below the superblock's; of several committed entries of one
   * sector the highest seq wins (kernel: writecache_resume).
   */
  static CacheFile readCacheFile(Path file) throws IOException {
    return readCacheFile(file, 0);
  }

  /** {@link #readCacheFile(Path)} of a device whose superblock is at {@code baseBytes} (start_sector). */
  static CacheFile readCacheFile(Path file, long baseBytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer sb = ByteBuffer.allocate(SB_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(sb, baseBytes);
      int magic = sb.getInt(0);
      int version = sb.getInt(4);
      int blockBytes = sb.getInt(8);
      long nBlocks = sb.getLong(16);
      long seq = sb.getLong(24);
      if (magic != DMWC_MAGIC || version != 1) {
        throw new AssertionError(file + ": magic 0x" + Integer.toHexString(magic) + " version " + version);
      }
      if (nBlocks <= 0 || nBlocks > ((ch.size() - baseBytes) / blockBytes)) {
        throw new AssertionError(file + ": n_blocks " + nBlocks);
      }
      ByteBuffer entries = ByteBuffer.allocate((int) (ENTRY_BYTES * nBlocks)).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(entries, baseBytes + SB_BYTES);
      Map<Long, Integer> winner = new HashMap<>();
      Map<Long, Integer> loser = new HashMap<>();
      Map<Long, Long> winnerSeq = new HashMap<>();
      int committed = 0;
      int uncommitted = 0;
      java.util.Set<Long> uncommittedSectors = new java.util.HashSet<>();
      for (int e = 0; e < nBlocks; e++) {
        long sector = entries.getLong(e * ENTRY_BYTES);
        long eseq = entries.getLong(e * ENTRY_BYTES + 8);
        if (eseq == -1L) {
          continue;
        }
        if (Long.compareUnsigned(eseq, seq) >= 0) {
          uncommitted++;
          uncommittedSectors.add(sector);
          continue;
        }
        committed++;
        Long best = winnerSeq.get(sector);
        if (best == null || Long.compareUnsigned(eseq, best) > 0) {
          if (best != null) {
            loser.put(sector, winner.get(sector));
          }
          winner.put(sector, e);
          winnerSeq.put(sector, eseq);
        } else {
          loser.put(sector, e);
        }
      }
      long metaBytes = SB_BYTES + ENTRY_BYTES * nBlocks;
      long dataStart = (metaBytes + blockBytes - 1) / blockBytes * blockBytes;
      return new CacheFile(blockBytes, nBlocks, seq, dataStart, winner, committed, uncommitted,
          uncommittedSectors, loser, baseBytes);
    }
  }

  /** Inverts every byte of one cache data block in place. */
  static void corruptDataBlock(Path file, long offsetBytes, int blockBytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(blockBytes);
      ch.read(b, offsetBytes);
      for (int i = 0; i < blockBytes; i++) {
        b.put(i, (byte) ~b.get(i));
      }
      b.rewind();
      ch.write(b, offsetBytes);
    }
  }

  /**
   * Parses {@code dmsetup status} of a writecache target (Linux 6.1, Documentation/admin-guide/
   * device-mapper/writecache.rst): "0 SECTORS writecache ERROR N_BLOCKS FREE WRITEBACK READS
   * READ_HITS ..." (the counters are in blocks).
   */
  record WcStatus(long errorCode, long nBlocks, long freeBlocks, long writebackBlocks, long readBlocks,
                  long readHitBlocks) {
    static WcStatus parse(String line) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 9 || !f[2].equals("writecache")) {
        throw new AssertionError("not a writecache status line with counters: '" + line + "'");
      }
      return new WcStatus(Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]),
          Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]));
    }
  }
}
