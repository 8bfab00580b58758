package io.pmtarget.it.kernel;

import static io.pmtarget.it.kernel.DmWritecacheInteropIT.ENGINE_OPTS;
import static io.pmtarget.it.kernel.DmWritecacheInteropIT.KERNEL_OPTS;
import static io.pmtarget.it.kernel.DmwcImages.differingBlocks;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeException;
import io.pmtarget.engine.volume.VolumeSpec;
import io.pmtarget.engine.volume.Volumes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dm-writecache format cases {@link DmWritecacheInteropIT} leaves out, against the same kernel
 * guest (SSD mode 's' over raw virtio disks), one boot per test with several disk sets:
 *
 * <ul>
 * <li>block sizes 512, 1024 and 2048 with {@code start_sector} 0, and a non-zero start_sector (35
 *     sectors) with block sizes 4096 and 2048 ({@link #CASES}), both ways: our engine formats and
 *     the kernel reads ({@link #kernelReadsOurFilesAtOtherBlockSizesAndStartSector}), the kernel
 *     formats and we read ({@link #weReadTheKernelsFilesAtOtherBlockSizesAndStartSector}). The
 *     kernel puts no alignment rule on start_sector (any sector inside the cache device; the data
 *     area is block-aligned relative to start_sector, not to the device), so with 35 sectors data
 *     blocks sit off any 4 KiB boundary, and at block size 2048 off any block boundary of the
 *     device too (35 * 512 = 8 * 2048 + 1536). The sectors before start_sector hold a seeded
 *     pattern that neither side may touch. Negative controls: each file under a wrong block size or
 *     without its start_sector is refused (by the kernel, most cases, and by us, every case), and
 *     a copy of each start_sector file with one data block inverted reads back with exactly that
 *     block inverted.</li>
 * <li>two committed entries for one sector ({@link #weResolveTheKernelsDuplicateEntries}): the
 *     kernel keeps the older committed entry of a block whose writeback is in flight when the block
 *     is overwritten and committed again (dm-writecache overwrites a committed entry in place only
 *     when no writeback of it runs). A dm-delay device holds the writeback's writes until the power
 *     goes off, so the file has both entries; the highest seq must win on our side. One way only:
 *     our commit frees superseded entries before it returns, so our files never hold duplicates
 *     for the kernel to resolve.</li>
 * </ul>
 * Expected data and n_blocks are computed here from seeds and the kernel's formula, never taken
 * from either implementation. Console logs: {@code it/target/kernel-it/dmwc-*.log}.
 */
class DmWritecacheVariantsIT {
  private static final long CACHE_BYTES = 8L << 20;
  private static final int BACKING_BYTES = 16 << 20;
  /** Ops are generated in 4 KiB blocks; at smaller block sizes they land in the volume's first part. */
  private static final int OPS_VOLUME_BLOCKS = BACKING_BYTES / 4096;
  private static final int IN_BLOCKS = 512;
  private static final long BOOT_TIMEOUT_MS = 90_000;
  private static final long BUILD_TIMEOUT_MS = 300_000;
  /** Longer than any boot: writeback the guest starts never reaches the backing file. */
  private static final long WRITEBACK_DELAY_MS = 600_000;
  private static final Path LOG_DIR = Path.of("target", "kernel-it").toAbsolutePath();
  /** Set i + 1 of the boots: block size and start_sector. */
  private static final List<Case> CASES = List.of(new Case(512, 0), new Case(2048, 0), new Case(4096, 35),
      new Case(1024, 0), new Case(2048, 35));
  /**
   * The ours -> kernel refusals: case {@code caseIndex}'s file (0-based) under a table with block
   * size {@code bs} and options {@code kernelOpts}; the kernel's message must contain {@code message}.
   * 512-byte files have none: one more set would need two more disks than the pc machine has slots.
   */
  private static final List<Refusal> REFUSALS = List.of(
      new Refusal(1, 4096, KERNEL_OPTS, "Block size does not match superblock"),
      new Refusal(2, 4096, KERNEL_OPTS, "magic"),     // start_sector left out
      new Refusal(3, 512, KERNEL_OPTS, "Block size does not match superblock"),
      new Refusal(4, 2048, KERNEL_OPTS, "magic"));    // start_sector left out
  private static DmwcGuest guest;

  @TempDir Path tmp;

  record Refusal(int caseIndex, int bs, String kernelOpts, String message) {
  }

  record Case(int bs, long startSector) {
    long baseBytes() {
      return startSector * DmwcImages.SECTOR_BYTES;
    }

    Map<String, String> engineOpts() {
      Map<String, String> m = new HashMap<>(ENGINE_OPTS);
      if (startSector > 0) {
        m.put("start_sector", Long.toString(startSector));
      }
      return m;
    }

    String kernelOpts() {
      return startSector > 0 ? KERNEL_OPTS + ",start_sector:" + startSector : KERNEL_OPTS;
    }

    long nBlocks() {
      return DmwcImages.kernelNBlocks(CACHE_BYTES - baseBytes(), bs);
    }

    /** The seeded start_sector area (empty when start_sector is 0). */
    byte[] head(long seed) {
      return DmwcImages.seeded(seed, (int) baseBytes());
    }

    /** A cache file as the tests hand it over: zeroed, with the start_sector area filled. */
    Path blankCache(Path file, long seed) throws IOException {
      return DmwcImages.fileWithHead(file, CACHE_BYTES, head(seed));
    }
  }

  @BeforeAll
  static void buildGuest() throws IOException, InterruptedException {
    for (String tool : List.of("qemu-system-x86_64", "busybox", "dmsetup", "cpio", "depmod")) {
      if (!DmWritecacheInteropIT.onPath(tool)) {
        fail("host tool '" + tool + "' missing: run .ci/install-kernel-deps.sh");
      }
    }
    guest = new DmwcGuest(QemuGuest.findScriptDir(), LOG_DIR);
    guest.build(BUILD_TIMEOUT_MS);
  }

  /**
   * Ours -> kernel, sets 1..{@code CASES.size()} the cases, then the negative controls: one
   * corrupted copy per start_sector case, then {@link #REFUSALS} (29 virtio disks in all; the pc
   * machine has 30 free PCI slots).
   */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void kernelReadsOurFilesAtOtherBlockSizesAndStartSector() throws Exception {
    List<Object> disks = new ArrayList<>();
    List<String> args = new ArrayList<>(List.of("--wcopts", KERNEL_OPTS));
    List<byte[]> expected = new ArrayList<>();
    List<DmwcModels.WriteModel> models = new ArrayList<>();
    List<Path> caches = new ArrayList<>();
    for (int i = 1; i <= CASES.size(); i++) {
      Case c = CASES.get(i - 1);
      byte[] original = DmwcImages.seeded(0xA000 + i, BACKING_BYTES);
      Path backing = Files.write(tmp.resolve("b" + i + ".img"), original);
      Path live = c.blankCache(tmp.resolve("live" + i + ".cache"), 0x5EC7 + i);
      Path crash = tmp.resolve("c" + i + ".cache");
      DmwcModels.WriteModel m = new DmwcModels.WriteModel(original, c.bs());
      try (Volume v = Volumes.open(new VolumeSpec("dmwc-v" + i, live, CACHE_BYTES, backing, 0, c.bs(), "java",
          c.engineOpts()))) {
        m.writePhases(v, new Random(70 + i));
        assertArrayEquals(m.latest(), readAll(v), c + ": our engine reads its own newest data");
        Files.copy(live, crash);   // the crash image, as in DmWritecacheInteropIT
        assertArrayEquals(original, Files.readAllBytes(backing), c + ": nothing was written back");
      }
      DmwcImages.CacheFile ours = DmwcImages.readCacheFile(crash, c.baseBytes());
      assertEquals(c.bs(), ours.blockBytes(), c + ": block_size in our superblock");
      assertEquals(c.nBlocks(), ours.nBlocks(), c + ": our n_blocks = the kernel's formula");
      assertEquals(m.committedBlocks().size(), ours.winnerBySector().size(), c + ": committed sectors");
      assertTrue(ours.uncommittedEntries() > 0, c + ": the crash image holds uncommitted entries");
      assertArrayEquals(c.head(0x5EC7 + i), DmwcImages.head(crash, (int) c.baseBytes()), c + ": start_sector area");
      disks.addAll(List.of("b" + i, backing, "c" + i, crash, "o" + i,
          DmwcImages.zeroFile(tmp.resolve("o" + i + ".img"), BACKING_BYTES)));
      args.addAll(List.of("--param", "bs" + i + "=" + c.bs(), "--param", "wcopts" + i + "=" + c.kernelOpts()));
      expected.add(m.committed());
      models.add(m);
      caches.add(crash);
    }
    // Per start_sector case: the image with one committed block inverted, found at start_sector +
    // data start + entry * block size: must differ in exactly that block, which holds the inverse.
    int set = CASES.size();
    Map<Integer, Integer> corruptedCaseBySet = new HashMap<>();
    Map<Integer, Integer> victimBySet = new HashMap<>();
    for (int k = 0; k < CASES.size(); k++) {
      Case c = CASES.get(k);
      if (c.startSector() == 0) {
        continue;
      }
      set++;
      DmwcImages.CacheFile file = DmwcImages.readCacheFile(caches.get(k), c.baseBytes());
      List<Integer> committed = models.get(k).committedBlocks();
      int victim = committed.get(committed.size() / 2);
      Path corrupt = Files.copy(caches.get(k), tmp.resolve("c" + set + ".cache"));
      DmwcImages.corruptDataBlock(corrupt, file.dataOffset(file.winnerBySector().get((long) victim * (c.bs() / 512))),
          c.bs());
      disks.addAll(List.of("b" + set, Files.copy(tmp.resolve("b" + (k + 1) + ".img"), tmp.resolve("b" + set + ".img")),
          "c" + set, corrupt, "o" + set, DmwcImages.zeroFile(tmp.resolve("o" + set + ".img"), BACKING_BYTES)));
      args.addAll(List.of("--param", "bs" + set + "=" + c.bs(), "--param", "wcopts" + set + "=" + c.kernelOpts()));
      corruptedCaseBySet.put(set, k);
      victimBySet.put(set, victim);
    }
    // Our files under a table that does not fit them: the kernel must refuse.
    // (qemu locks every disk file: each set gets its own copies.)
    Map<Integer, Refusal> refusalBySet = new HashMap<>();
    for (Refusal r : REFUSALS) {
      set++;
      disks.addAll(List.of("b" + set, Files.copy(tmp.resolve("b" + (r.caseIndex() + 1) + ".img"),
          tmp.resolve("b" + set + ".img")), "c" + set, Files.copy(caches.get(r.caseIndex()),
          tmp.resolve("c" + set + ".cache"))));
      args.addAll(List.of("--param", "expect" + set + "=refuse", "--param", "bs" + set + "=" + r.bs(),
          "--param", "wcopts" + set + "=" + r.kernelOpts()));
      refusalBySet.put(set, r);
    }
    args.addAll(0, List.of("--sets", Integer.toString(set)));

    DmwcGuest.Boot boot = guest.boot("variants-ours-to-kernel", "read", DmwcGuest.disks(disks.toArray()), args,
        BOOT_TIMEOUT_MS);
    DmWritecacheInteropIT.report("variants-ours-to-kernel", boot);
    assertTrue(boot.pass(), boot.verdict() + " (console: " + boot.console() + ")");
    for (int i = 1; i <= CASES.size(); i++) {
      Case c = CASES.get(i - 1);
      byte[] seen = Files.readAllBytes(tmp.resolve("o" + i + ".img"));
      List<Integer> diff = differingBlocks(expected.get(i - 1), seen, c.bs());
      assertTrue(diff.isEmpty(), c + ": kernel's view of our cache file: " + DmwcImages.describe(diff, seen, c.bs(),
          Map.of("the backing original", DmwcImages.seeded(0xA000 + i, BACKING_BYTES),
              "the newest (partly uncommitted) data", models.get(i - 1).latest())));
      assertEquals(DmwcImages.sha256(expected.get(i - 1)), boot.value("wc" + i + " sha256"), c + ": sha256");
      DmwcImages.WcStatus s = DmwcImages.WcStatus.parse(boot.values("wc" + i + " status").get(0));
      assertEquals(0, s.errorCode(), c.toString());
      assertEquals(c.nBlocks(), s.nBlocks(), c + ": kernel's n_blocks");
      assertEquals(c.nBlocks() - models.get(i - 1).committedBlocks().size(), s.freeBlocks(), c + ": kernel's free");
      assertArrayEquals(c.head(0x5EC7 + i), DmwcImages.head(caches.get(i - 1), (int) c.baseBytes()),
          c + ": the kernel left the start_sector area alone");
      // The kernel rewrote the metadata (erased uncommitted entries): ours to open again.
      DmWritecacheInteropIT.Inspect after = DmWritecacheInteropIT.inspect(caches.get(i - 1), c.startSector());
      assertEquals(0, after.exit(), after.text());
      try (Volume v = Volumes.open(new VolumeSpec("dmwc-v" + i + "b", caches.get(i - 1), 0,
          tmp.resolve("b" + i + ".img"), 0, c.bs(), "java", c.engineOpts()))) {
        assertTrue(differingBlocks(expected.get(i - 1), readAll(v), c.bs()).isEmpty(), c + ": ours after the kernel");
      }
    }
    for (Map.Entry<Integer, Integer> e : corruptedCaseBySet.entrySet()) {
      Case c = CASES.get(e.getValue());
      int victim = victimBySet.get(e.getKey());
      byte[] want = expected.get(e.getValue());
      byte[] seen = Files.readAllBytes(tmp.resolve("o" + e.getKey() + ".img"));
      assertEquals(List.of(victim), differingBlocks(want, seen, c.bs()),
          c + ": the corrupted copy differs in exactly the corrupted block");
      for (int b = victim * c.bs(); b < (victim + 1) * c.bs(); b++) {
        if (seen[b] != (byte) ~want[b]) {
          fail(c + ": the corrupted block is not the inverse of the expected data at byte " + (b - victim * c.bs()));
        }
      }
    }
    for (Map.Entry<Integer, Refusal> e : refusalBySet.entrySet()) {
      String refused = boot.value("wc" + e.getKey() + " refused");
      assertTrue(refused.contains(e.getValue().message()), e.getValue() + ": " + refused);
    }
  }

  /** Kernel -> ours, sets 1..{@code CASES.size()} the cases; the same ops (in each set's block size) on every set. */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void weReadTheKernelsFilesAtOtherBlockSizesAndStartSector() throws Exception {
    byte[] input = DmwcImages.seeded(0x1E, IN_BLOCKS * 4096);
    DmwcModels.KernelOps ops = DmwcModels.KernelOps.generate(new Random(13), OPS_VOLUME_BLOCKS, IN_BLOCKS);
    List<Object> disks = new ArrayList<>(List.of("in", Files.write(tmp.resolve("in.img"), input)));
    List<String> args = new ArrayList<>(List.of("--sets", Integer.toString(CASES.size()), "--wcopts", KERNEL_OPTS,
        "--ops", ops.argument()));
    for (int i = 1; i <= CASES.size(); i++) {
      Case c = CASES.get(i - 1);
      disks.addAll(List.of("b" + i, Files.write(tmp.resolve("b" + i + ".img"), DmwcImages.seeded(0xB000 + i,
          BACKING_BYTES)), "c" + i, c.blankCache(tmp.resolve("c" + i + ".cache"), 0x5EC0 + i)));
      args.addAll(List.of("--param", "bs" + i + "=" + c.bs(), "--param", "wcopts" + i + "=" + c.kernelOpts()));
    }
    DmwcGuest.Boot boot = guest.boot("variants-kernel-to-ours", "write", DmwcGuest.disks(disks.toArray()), args,
        BOOT_TIMEOUT_MS);
    DmWritecacheInteropIT.report("variants-kernel-to-ours", boot);
    assertTrue(boot.pass(), boot.verdict() + " (console: " + boot.console() + ")");

    int committed = ops.blocks(2).size();
    for (int i = 1; i <= CASES.size(); i++) {
      Case c = CASES.get(i - 1);
      byte[] original = DmwcImages.seeded(0xB000 + i, BACKING_BYTES);
      byte[] expected = ops.apply(original, input, c.bs(), 2);
      Path backing = tmp.resolve("b" + i + ".img");
      Path cache = tmp.resolve("c" + i + ".cache");
      assertTrue(boot.facts().contains("wc" + i + " committed phase 2"), c + ": " + boot.facts());
      DmwcImages.WcStatus s = DmwcImages.WcStatus.parse(boot.values("wc" + i + " status").get(1));
      assertEquals(c.nBlocks(), s.nBlocks(), c + ": kernel's n_blocks = the kernel's formula");
      assertEquals(ops.blocks(3).size(), s.nBlocks() - s.freeBlocks(), c + ": kernel's used blocks");
      assertArrayEquals(original, Files.readAllBytes(backing), c + ": the kernel wrote nothing back");
      assertArrayEquals(c.head(0x5EC0 + i), DmwcImages.head(cache, (int) c.baseBytes()), c + ": start_sector area");
      DmwcImages.CacheFile kernels = DmwcImages.readCacheFile(cache, c.baseBytes());
      assertEquals(c.bs(), kernels.blockBytes(), c + ": block_size in the kernel's superblock");
      assertEquals(committed, kernels.winnerBySector().size(), c + ": committed sectors in the kernel's file");

      DmWritecacheInteropIT.Inspect report = DmWritecacheInteropIT.inspect(cache, c.startSector());
      assertEquals(0, report.exit(), report.text());
      assertTrue(report.text().contains("block_size   " + c.bs()), report.text());
      assertTrue(report.text().contains("consistency  ok"), report.text());
      assertTrue(report.text().contains("entries      " + committed + " committed"), report.text());

      // Negative controls on copies: the file is not readable without its start_sector / block size.
      Path copy = Files.copy(cache, tmp.resolve("x" + i + ".cache"));
      Map<String, String> wrong = new HashMap<>(c.engineOpts());
      int wrongBs = c.bs();
      if (c.startSector() > 0) {
        wrong.remove("start_sector");
      } else {
        wrongBs = 4096;
      }
      VolumeSpec wrongSpec = new VolumeSpec("dmwc-x" + i, copy, 0, Files.copy(backing, tmp.resolve("x" + i + ".img")),
          0, wrongBs, "java", wrong);
      VolumeException refused = assertThrows(VolumeException.class, () -> Volumes.open(wrongSpec).close(),
          c + ": opening with block size " + wrongBs + " and options " + wrong);
      assertTrue(refused.getMessage().contains(c.startSector() > 0 ? "magic" : "block size"), refused.getMessage());

      try (Volume v = Volumes.open(new VolumeSpec("dmwc-k" + i, cache, 0, backing, 0, c.bs(), "java",
          c.engineOpts()))) {
        assertTrue(!v.readOnly(), c + ": recovery found corruption: " + v.status());
        assertEquals(committed, v.status().blocksTotal() - v.status().blocksFree(), c + ": recovered blocks");
        byte[] seen = readAll(v);
        List<Integer> diff = differingBlocks(expected, seen, c.bs());
        assertTrue(diff.isEmpty(), c + ": our view of the kernel's file: " + DmwcImages.describe(diff, seen, c.bs(),
            Map.of("the backing original", original, "uncommitted phase 3 data", ops.apply(original, input, c.bs(), 3))));
        v.message("flush");
        v.close(true);
      }
      assertArrayEquals(expected, Files.readAllBytes(backing), c + ": backing file after our writeback");
      assertArrayEquals(c.head(0x5EC0 + i), DmwcImages.head(cache, (int) c.baseBytes()),
          c + ": we left the start_sector area alone");
    }
  }

  /** Kernel -> ours: a file with two committed entries for some sectors; the newest must win. */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void weResolveTheKernelsDuplicateEntries() throws Exception {
    int bs = 4096;
    byte[] original = DmwcImages.seeded(0xD0B, BACKING_BYTES);
    byte[] input = DmwcImages.seeded(0x1F, IN_BLOCKS * bs);
    DmwcModels.KernelOps ops = DmwcModels.KernelOps.generate(new Random(17), OPS_VOLUME_BLOCKS, IN_BLOCKS).upTo(2);
    Set<Integer> phase1 = ops.blocksOfPhase(1);
    Set<Integer> overwritten = new HashSet<>(ops.blocksOfPhase(2));
    overwritten.retainAll(phase1);
    int sectors = ops.blocks(2).size();
    assertTrue(!overwritten.isEmpty() && overwritten.size() < ops.blocksOfPhase(2).size(),
        "phase 2 overwrites some phase-1 blocks and writes some fresh ones: " + overwritten);
    byte[] expected = ops.apply(original, input, bs, 2);
    byte[] older = ops.apply(original, input, bs, 1);
    Path backing = Files.write(tmp.resolve("b1.img"), original);
    Path cache = DmwcImages.zeroFile(tmp.resolve("c1.cache"), CACHE_BYTES);

    DmwcGuest.Boot boot = guest.boot("variants-duplicates", "write",
        DmwcGuest.disks("b1", backing, "c1", cache, "in", Files.write(tmp.resolve("in.img"), input)),
        List.of("--wcopts", KERNEL_OPTS, "--ops", ops.argument(true), "--param", "delay1=" + WRITEBACK_DELAY_MS),
        BOOT_TIMEOUT_MS);
    DmWritecacheInteropIT.report("variants-duplicates", boot);
    assertTrue(boot.pass(), boot.verdict() + " (console: " + boot.console() + ")");
    assertEquals(Integer.toString(phase1.size()), boot.value("wc1 writeback started"), "phase 1 under writeback");
    DmwcImages.WcStatus s = DmwcImages.WcStatus.parse(boot.values("wc1 status").get(1));
    assertEquals(sectors + overwritten.size(), s.nBlocks() - s.freeBlocks(),
        "kernel's used blocks = sectors + one older entry per overwritten sector");
    assertEquals(phase1.size(), s.writebackBlocks(), "phase 1 still under writeback at power-off");
    assertArrayEquals(original, Files.readAllBytes(backing), "no writeback reached the backing file");

    DmwcImages.CacheFile kernels = DmwcImages.readCacheFile(cache);
    assertEquals(0, kernels.uncommittedEntries(), "both phases were committed");
    assertEquals(sectors, kernels.winnerBySector().size(), "sectors in the kernel's file");
    assertEquals(sectors + overwritten.size(), kernels.committedEntries(), "committed entries, duplicates included");
    assertEquals(overwritten.size(), kernels.loserBySector().size(), "sectors with an older committed entry");
    DmWritecacheInteropIT.Inspect report = DmWritecacheInteropIT.inspect(cache);
    assertEquals(0, report.exit(), report.text());
    assertTrue(report.text().contains("consistency  ok"), report.text());
    assertTrue(report.text().contains("entries      " + (sectors + overwritten.size()) + " committed, 0 uncommitted"),
        report.text());
    assertTrue(report.text().contains("sectors      " + sectors + " cached, " + overwritten.size() + " superseded"),
        report.text());

    // Negative control on copies: swap the seqs of one sector's two entries; the older data must win.
    int victim = overwritten.iterator().next();
    long victimSector = (long) victim * (bs / 512);
    Path cx = Files.copy(cache, tmp.resolve("cx.cache"));
    DmwcImages.swapSeqs(cx, kernels, kernels.winnerBySector().get(victimSector), kernels.loserBySector().get(victimSector));
    try (Volume v = Volumes.open(new VolumeSpec("dmwc-dx", cx, 0, Files.copy(backing, tmp.resolve("bx.img")), 0, bs,
        "java", ENGINE_OPTS))) {
      byte[] seen = readAll(v);
      assertEquals(List.of(victim), differingBlocks(expected, seen, bs), "swapped seqs change exactly that block");
      assertTrue(differingBlocks(older, seen, bs).stream().noneMatch(b -> b == victim), "it holds the phase-1 data");
    }

    try (Volume v = Volumes.open(new VolumeSpec("dmwc-d", cache, 0, backing, 0, bs, "java", ENGINE_OPTS))) {
      assertTrue(!v.readOnly(), "recovery found corruption: " + v.status());
      assertEquals(sectors, v.status().blocksTotal() - v.status().blocksFree(), "recovered blocks = sectors");
      byte[] seen = readAll(v);
      List<Integer> diff = differingBlocks(expected, seen, bs);
      assertTrue(diff.isEmpty(), "our view of the kernel's file: " + DmwcImages.describe(diff, seen, bs,
          Map.of("the backing original", original, "the older (phase 1) data", older)));
      DmwcImages.CacheFile afterRecovery = DmwcImages.readCacheFile(cache);
      assertEquals(sectors, afterRecovery.committedEntries(), "our recovery freed the superseded entries");
      assertTrue(afterRecovery.loserBySector().isEmpty(), "no older entry left");
      v.message("flush");
      v.close(true);
    }
    assertArrayEquals(expected, Files.readAllBytes(backing), "backing file after our writeback");
  }

  private static byte[] readAll(Volume v) throws IOException {
    ByteBuffer all = ByteBuffer.allocate((int) v.sizeBytes());
    v.read(0, all);
    return all.array();
  }
}
