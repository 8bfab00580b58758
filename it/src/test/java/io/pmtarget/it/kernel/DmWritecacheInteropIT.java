package io.pmtarget.it.kernel;

import static io.pmtarget.it.kernel.DmwcImages.differingBlocks;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pmtarget.engine.tool.CacheTool;
import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeSpec;
import io.pmtarget.engine.volume.Volumes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our cache files and the Linux kernel's dm-writecache (a Debian cloud kernel in a qemu TCG guest,
 * SSD mode 's' over raw virtio disks) read each other's on-media format (v1, magic 0x23489321).
 *
 * <ul>
 * <li>{@link #kernelReadsOurCacheFile}: our engine writes committed, overwritten and uncommitted
 *     blocks; a copy of the cache file taken while the volume is open (a crash image) goes to the
 *     kernel, which must present exactly the committed data over the untouched backing file. A
 *     second disk set with one committed data block corrupted must differ in exactly that block.</li>
 * <li>{@link #weReadTheKernelsCacheFile}: the kernel formats a zeroed cache file, writes and
 *     commits two phases, writes a third without committing and loses power. CacheTool inspect
 *     must call the file consistent, our engine must read exactly the committed data, and after our
 *     writeback the backing file must hold it byte-exact. A copy with one committed data block
 *     corrupted must differ in exactly that block.</li>
 * </ul>
 * Expected images are computed here from seeded data, never from either implementation's output.
 * Host prerequisites: {@code .ci/install-kernel-deps.sh} (qemu, busybox-static, dmsetup, ...).
 * Console logs: {@code it/target/kernel-it/dmwc-*.log}.
 */
class DmWritecacheInteropIT {
  private static final int BS = 4096;
  private static final long CACHE_BYTES = 32L << 20;
  private static final int BACKING_BYTES = 64 << 20;
  private static final int VOLUME_BLOCKS = BACKING_BYTES / BS;
  /** dm-writecache's n_blocks for 32 MiB of 4 KiB blocks: 32 MiB / (4096 + 16), and it fits. */
  private static final long CACHE_N_BLOCKS = 8160;
  private static final long BOOT_TIMEOUT_MS = 90_000;
  private static final long BUILD_TIMEOUT_MS = 300_000;
  private static final Path LOG_DIR = Path.of("target", "kernel-it").toAbsolutePath();
  /** Neither side may write back on its own: committed data must live only in the cache file. */
  static final String KERNEL_OPTS = "high_watermark:100,low_watermark:100,autocommit_time:3600000";
  static final Map<String, String> ENGINE_OPTS = Map.of("high_watermark", "100",
      "low_watermark", "100", "autocommit_blocks", "1000000", "autocommit_time", "3600000");
  private static DmwcGuest guest;

  @TempDir Path tmp;

  @BeforeAll
  static void buildGuest() throws IOException, InterruptedException {
    for (String tool : List.of("qemu-system-x86_64", "busybox", "dmsetup", "cpio", "depmod")) {
      if (!onPath(tool)) {
        fail("host tool '" + tool + "' missing: run .ci/install-kernel-deps.sh");
      }
    }
    guest = new DmwcGuest(QemuGuest.findScriptDir(), LOG_DIR);
    long startNs = System.nanoTime();
    guest.build(BUILD_TIMEOUT_MS);
    System.out.printf("DmWritecacheInteropIT: guest ready in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
  }

  /** Direction A: ours -> kernel. */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void kernelReadsOurCacheFile() throws Exception {
    byte[] original = DmwcImages.seeded(0xA11CE, BACKING_BYTES);
    Path backing = Files.write(tmp.resolve("b1.img"), original);
    Path liveCache = tmp.resolve("live.cache");
    Path c1 = tmp.resolve("c1.cache");
    DmwcModels.WriteModel m = new DmwcModels.WriteModel(original, BS);
    try (Volume v = Volumes.open(new VolumeSpec("dmwc-a", liveCache, CACHE_BYTES, backing, 0, BS, "java",
        ENGINE_OPTS))) {
      m.writePhases(v, new Random(7));
      ByteBuffer all = ByteBuffer.allocate(BACKING_BYTES);
      v.read(0, all);
      assertArrayEquals(m.latest(), all.array(), "our engine reads its own newest data");
      // The crash image: the cache file as a killed process would leave it (mapped pages are in the
      // page cache); the backing file must not have any written block yet.
      Files.copy(liveCache, c1);
      assertArrayEquals(original, Files.readAllBytes(backing), "nothing was written back");
    }
    assertEquals(CACHE_BYTES, Files.size(c1));
    DmwcImages.CacheFile ours = DmwcImages.readCacheFile(c1);
    assertEquals(CACHE_N_BLOCKS, ours.nBlocks(), "our n_blocks");
    assertTrue(ours.uncommittedEntries() > 0, "the crash image must hold uncommitted entries");
    assertEquals(m.committedBlocks().size(), ours.winnerBySector().size(), "committed sectors in the file");
    // The cases the kernel must resolve: an uncommitted newer version of a committed sector (must
    // show the committed one) and uncommitted fresh sectors (must show the backing original).
    java.util.Set<Long> overwritten = new java.util.HashSet<>(ours.uncommittedSectors());
    overwritten.retainAll(ours.winnerBySector().keySet());
    assertTrue(!overwritten.isEmpty() && overwritten.size() < ours.uncommittedSectors().size(),
        "uncommitted sectors " + ours.uncommittedSectors().size() + ", of them over committed ones "
            + overwritten.size());
    System.out.printf("our crash image: seq_count %d, %d committed entries for %d sectors, %d uncommitted%n",
        ours.seqCount(), ours.committedEntries(), ours.winnerBySector().size(), ours.uncommittedEntries());

    // Negative control: the same image with one committed block's data inverted.
    int victim = m.committedBlocks().get(m.committedBlocks().size() / 2);
    Path c2 = Files.copy(c1, tmp.resolve("c2.cache"));
    Path b2 = Files.copy(backing, tmp.resolve("b2.img"));
    DmwcImages.corruptDataBlock(c2, ours.dataOffset(ours.winnerBySector().get((long) victim * (BS / 512))), BS);
    Path o1 = DmwcImages.zeroFile(tmp.resolve("o1.img"), BACKING_BYTES);
    Path o2 = DmwcImages.zeroFile(tmp.resolve("o2.img"), BACKING_BYTES);

    DmwcGuest.Boot boot = guest.boot("ours-to-kernel", "read",
        DmwcGuest.disks("b1", backing, "c1", c1, "o1", o1, "b2", b2, "c2", c2, "o2", o2),
        List.of("--sets", "2", "--bs", Integer.toString(BS), "--wcopts", KERNEL_OPTS), BOOT_TIMEOUT_MS);
    report("ours-to-kernel", boot);
    assertTrue(boot.pass(), boot.verdict() + " (console: " + boot.console() + ")");

    byte[] expected = m.committed();
    assertTrue(!differingBlocks(expected, m.latest(), BS).isEmpty(), "phase 3 changed blocks after the last commit");
    byte[] seen = Files.readAllBytes(o1);
    List<Integer> diff = differingBlocks(expected, seen, BS);
    assertTrue(diff.isEmpty(), "kernel's view of our cache file: " + DmwcImages.describe(diff, seen, BS,
        Map.of("the backing original", original, "the newest (partly uncommitted) data", m.latest())));
    assertEquals(DmwcImages.sha256(expected), boot.value("wc1 sha256"), "guest's sha256 of /dev/mapper/wc1");
    for (String line : boot.values("wc1 status")) {
      DmwcImages.WcStatus s = DmwcImages.WcStatus.parse(line);
      assertEquals(0, s.errorCode(), line);
      assertEquals(CACHE_N_BLOCKS, s.nBlocks(), "kernel's n_blocks: " + line);
      assertEquals(CACHE_N_BLOCKS - m.committedBlocks().size(), s.freeBlocks(),
          "kernel's free blocks = n_blocks - committed sectors: " + line);
    }
    // Two full reads (the copy to o1, the sha256): every committed block was a cache hit each time.
    DmwcImages.WcStatus read = DmwcImages.WcStatus.parse(boot.values("wc1 status").get(1));
    assertEquals(2L * VOLUME_BLOCKS, read.readBlocks(), "kernel's read counter");
    assertEquals(2L * m.committedBlocks().size(), read.readHitBlocks(), "kernel's read hits = our committed blocks");

    List<Integer> diff2 = differingBlocks(expected, Files.readAllBytes(o2), BS);
    assertEquals(List.of(victim), diff2, "the corrupted copy differs in exactly the corrupted block");
    assertTrue(!DmwcImages.sha256(expected).equals(boot.value("wc2 sha256")), "corrupted copy's sha256");

    // The kernel rewrote c1's metadata (erased the uncommitted and superseded entries): it must still
    // be ours to open, holding the same committed data.
    assertEquals(0, DmwcImages.readCacheFile(c1).uncommittedEntries(),
        "the kernel erased our uncommitted entries in the file (writecache_resume)");
    Inspect afterKernel = inspect(c1);
    assertEquals(0, afterKernel.exit(), afterKernel.text());
    try (Volume v = Volumes.open(new VolumeSpec("dmwc-a2", c1, 0, backing, 0, BS, "java", ENGINE_OPTS))) {
      ByteBuffer all = ByteBuffer.allocate(BACKING_BYTES);
      v.read(0, all);
      assertTrue(differingBlocks(expected, all.array(), BS).isEmpty(), "our engine after the kernel");
      assertEquals(m.committedBlocks().size(), v.status().blocksTotal() - v.status().blocksFree());
    }
  }

  /** Direction B: kernel -> ours. */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void weReadTheKernelsCacheFile() throws Exception {
    int inBlocks = 512;
    byte[] original = DmwcImages.seeded(0xB0B, BACKING_BYTES);
    byte[] input = DmwcImages.seeded(0x1D, inBlocks * BS);
    Path backing = Files.write(tmp.resolve("b1.img"), original);
    Path input1 = Files.write(tmp.resolve("in.img"), input);
    Path cache = DmwcImages.zeroFile(tmp.resolve("c1.cache"), CACHE_BYTES);
    DmwcModels.KernelOps ops = DmwcModels.KernelOps.generate(new Random(11), VOLUME_BLOCKS, inBlocks);
    byte[] expected = ops.apply(original, input, BS, 2);
    assertTrue(!differingBlocks(expected, ops.apply(original, input, BS, 3), BS).isEmpty(),
        "phase 3 writes data that must not show");

    DmwcGuest.Boot boot = guest.boot("kernel-to-ours", "write",
        DmwcGuest.disks("b1", backing, "c1", cache, "in", input1),
        List.of("--bs", Integer.toString(BS), "--wcopts", KERNEL_OPTS, "--ops", ops.argument()),
        BOOT_TIMEOUT_MS);
    report("kernel-to-ours", boot);
    assertTrue(boot.pass(), boot.verdict() + " (console: " + boot.console() + ")");
    assertTrue(boot.facts().contains("wc1 committed phase 1") && boot.facts().contains("wc1 committed phase 2"),
        "both commits ran: " + boot.facts());
    DmwcImages.WcStatus after = DmwcImages.WcStatus.parse(boot.values("wc1 status").get(1));
    assertEquals(CACHE_N_BLOCKS, after.nBlocks(), "kernel's n_blocks (ours agrees, see direction A)");
    assertEquals(ops.blocks(3).size(), after.nBlocks() - after.freeBlocks(),
        "kernel's used blocks = distinct blocks written in phases 1-3");
    assertArrayEquals(original, Files.readAllBytes(backing), "the kernel wrote nothing back");

    int committed = ops.blocks(2).size();
    Inspect report = inspect(cache);
    assertEquals(0, report.exit(), report.text());
    assertTrue(report.text().contains("consistency  ok"), report.text());
    assertTrue(report.text().contains("entries      " + committed + " committed"), report.text());
    DmwcImages.CacheFile kernels = DmwcImages.readCacheFile(cache);
    assertEquals(committed, kernels.winnerBySector().size(), "committed sectors in the kernel's file");

    // Negative control first (on copies): one committed data block inverted.
    int victim = ops.blocks(2).get(committed / 2);
    Path cx = Files.copy(cache, tmp.resolve("cx.cache"));
    Path bx = Files.copy(backing, tmp.resolve("bx.img"));
    DmwcImages.corruptDataBlock(cx, kernels.dataOffset(kernels.winnerBySector().get((long) victim * (BS / 512))), BS);
    try (Volume v = Volumes.open(new VolumeSpec("dmwc-bx", cx, 0, bx, 0, BS, "java", ENGINE_OPTS))) {
      assertEquals(List.of(victim), differingBlocks(expected, readAll(v), BS),
          "the corrupted copy differs in exactly the corrupted block");
    }

    try (Volume v = Volumes.open(new VolumeSpec("dmwc-b", cache, 0, backing, 0, BS, "java", ENGINE_OPTS))) {
      assertTrue(!v.readOnly(), "recovery found corruption: " + v.status());
      assertEquals(committed, v.status().blocksTotal() - v.status().blocksFree(), "recovered blocks");
      byte[] seen = readAll(v);
      List<Integer> diff = differingBlocks(expected, seen, BS);
      assertTrue(diff.isEmpty(), "our view of the kernel's cache file: " + DmwcImages.describe(diff, seen, BS,
          Map.of("the backing original", original, "uncommitted phase 3 data", ops.apply(original, input, BS, 3))));
      v.message("flush");   // dm-writecache's flush message: write everything back
      v.close(true);
    }
    assertArrayEquals(expected, Files.readAllBytes(backing), "backing file after our writeback");
  }

  private static byte[] readAll(Volume v) throws IOException {
    ByteBuffer all = ByteBuffer.allocate(BACKING_BYTES);
    v.read(0, all);
    return all.array();
  }

  record Inspect(int exit, String text) {
  }

  static Inspect inspect(Path cacheFile) {
    return inspect(cacheFile, 0);
  }

  /** CacheTool inspect of a cache file whose superblock is at {@code startSector} (512-byte sectors). */
  static Inspect inspect(Path cacheFile, long startSector) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = startSector == 0 ? new String[] {"inspect", cacheFile.toString()}
        : new String[] {"inspect", cacheFile.toString(), "--start-sector", Long.toString(startSector)};
    int exit = CacheTool.run(args,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    System.out.println("CacheTool inspect " + cacheFile + " -> exit " + exit + "\n" + text);
    return new Inspect(exit, text);
  }

  static void report(String label, DmwcGuest.Boot boot) {
    System.out.printf("DmWritecacheInteropIT[%s]: %s in %d ms wall | %s%n", label,
        boot.pass() ? "PASS" : "FAIL", boot.wallMs(), boot.verdict());
    boot.facts().forEach(f -> System.out.println("  guest: " + f));
  }

  static boolean onPath(String tool) {
    for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
