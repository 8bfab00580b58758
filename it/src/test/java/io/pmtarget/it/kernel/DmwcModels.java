package io.pmtarget.it.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.volume.Volume;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Seeded write workloads of the dm-writecache interop tests and the host's model of their outcome. */
final class DmwcModels {
  private DmwcModels() {
  }

  /**
   * Writes through our engine in three phases and tracks, independently, what is committed:
   * phase 1 (committed by flush), phase 2 (overwrites of phase-1 blocks, double writes of one
   * block before a commit, some FUA writes; committed by flush), phase 3 (overwrites of committed
   * blocks and fresh blocks, never committed).
   */
  static final class WriteModel {
    private final int bs;
    private final int volumeBlocks;
    private final byte[] committed;
    private final Map<Integer, byte[]> pending = new HashMap<>();
    private final List<Integer> starts = new ArrayList<>();
    private final java.util.TreeSet<Integer> committedSet = new java.util.TreeSet<>();

    WriteModel(byte[] original, int bs) {
      this.committed = original.clone();
      this.bs = bs;
      this.volumeBlocks = original.length / bs;
      assertTrue(volumeBlocks > 16 && original.length % bs == 0, "volume of " + original.length + " bytes");
    }

    void writePhases(Volume v, Random rnd) throws IOException {
      for (int i = 0; i < 40; i++) {
        write(v, rnd, rnd.nextInt(volumeBlocks - 8), 1 + rnd.nextInt(8), false);
      }
      commit(v);
      for (int i = 0; i < 24; i++) {
        int start = i % 2 == 0 ? starts.get(rnd.nextInt(starts.size())) : rnd.nextInt(volumeBlocks - 8);
        write(v, rnd, start, 1 + rnd.nextInt(4), i % 7 == 6);
        if (i % 5 == 0) {
          write(v, rnd, start, 1, false);   // rewrite before the commit: in place in the same entry
        }
      }
      commit(v);
      for (int i = 0; i < 10; i++) {
        int start = i % 2 == 0 ? starts.get(rnd.nextInt(starts.size())) : rnd.nextInt(volumeBlocks - 8);
        write(v, rnd, start, 1 + rnd.nextInt(4), false);
      }
      assertTrue(!pending.isEmpty(), "phase 3 left uncommitted blocks");
    }

    private void write(Volume v, Random rnd, int block, int blocks, boolean fua) throws IOException {
      byte[] data = new byte[blocks * bs];
      rnd.nextBytes(data);
      v.write((long) block * bs, ByteBuffer.wrap(data), fua);
      starts.add(block);
      for (int b = 0; b < blocks; b++) {
        pending.put(block + b, java.util.Arrays.copyOfRange(data, b * bs, (b + 1) * bs));
      }
      if (fua) {
        apply();   // a FUA write commits everything written before it, too
      }
    }

    private void commit(Volume v) throws IOException {
      v.flush();
      apply();
    }

    private void apply() {
      for (Map.Entry<Integer, byte[]> e : pending.entrySet()) {
        System.arraycopy(e.getValue(), 0, committed, e.getKey() * bs, bs);
        committedSet.add(e.getKey());
      }
      pending.clear();
    }

    byte[] committed() {
      return committed.clone();
    }

    byte[] latest() {
      byte[] out = committed.clone();
      for (Map.Entry<Integer, byte[]> e : pending.entrySet()) {
        System.arraycopy(e.getValue(), 0, out, e.getKey() * bs, bs);
      }
      return out;
    }

    List<Integer> committedBlocks() {
      return new ArrayList<>(committedSet);
    }
  }

  /** The writes the guest makes: phase:dstBlock:srcBlock:blocks, phases 1 and 2 committed, 3 not. */
  record KernelOps(List<int[]> ops) {
    static KernelOps generate(Random rnd, int volumeBlocks, int inBlocks) {
      List<int[]> ops = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        ops.add(new int[] {1, rnd.nextInt(volumeBlocks - 16), rnd.nextInt(inBlocks - 16), 1 + rnd.nextInt(16)});
      }
      for (int i = 0; i < 6; i++) {
        int[] over = ops.get(rnd.nextInt(8));
        int dst = i % 3 == 2 ? rnd.nextInt(volumeBlocks - 16) : over[1] + rnd.nextInt(over[3]);
        ops.add(new int[] {2, dst, rnd.nextInt(inBlocks - 16), 1 + rnd.nextInt(8)});
      }
      KernelOps sofar = new KernelOps(ops);
      java.util.Set<Integer> used = new java.util.HashSet<>(sofar.blocks(2));
      // Phase 3 only touches fresh blocks: an uncommitted overwrite of a committed block is done in
      // place in SSD mode (the kernel's own non-atomic semantics), not what this test is about.
      for (int i = 0; i < 3; ) {
        int dst = rnd.nextInt(volumeBlocks - 16);
        int n = 1 + rnd.nextInt(8);
        boolean fresh = true;
        for (int b = dst; b < dst + n; b++) {
          fresh &= !used.contains(b);
        }
        if (fresh) {
          ops.add(new int[] {3, dst, rnd.nextInt(inBlocks - 16), n});
          i++;
        }
      }
      return new KernelOps(ops);
    }

    String argument() {
      return argument(false);
    }

    /**
     * The guest's pmt.ops; with {@code writebackBeforePhase2} the token "wb" (start writeback of all
     * committed blocks, see guest-dmwc-init.sh) goes between phases 1 and 2.
     */
    String argument(boolean writebackBeforePhase2) {
      StringBuilder sb = new StringBuilder();
      int last = 0;
      for (int[] op : ops) {
        if (writebackBeforePhase2 && last == 1 && op[0] == 2) {
          sb.append(",wb");
        }
        last = op[0];
        sb.append(sb.length() == 0 ? "" : ",").append(op[0]).append(':').append(op[1]).append(':')
            .append(op[2]).append(':').append(op[3]);
      }
      return sb.toString();
    }

    /** The image after the ops of phases up to {@code lastPhase}, in order. */
    byte[] apply(byte[] original, byte[] input, int bs, int lastPhase) {
      byte[] out = original.clone();
      for (int[] op : ops) {
        if (op[0] <= lastPhase) {
          System.arraycopy(input, op[2] * bs, out, op[1] * bs, op[3] * bs);
        }
      }
      return out;
    }

    /** Distinct blocks written by the ops of exactly {@code phase}. */
    java.util.Set<Integer> blocksOfPhase(int phase) {
      java.util.Set<Integer> s = new java.util.TreeSet<>();
      for (int[] op : ops) {
        if (op[0] == phase) {
          for (int b = op[1]; b < op[1] + op[3]; b++) {
            s.add(b);
          }
        }
      }
      return s;
    }

    /** The same ops without those of phases after {@code lastPhase}. */
    KernelOps upTo(int lastPhase) {
      return new KernelOps(ops.stream().filter(op -> op[0] <= lastPhase).toList());
    }

    /** Distinct blocks written by phases up to {@code lastPhase}, ascending. */
    List<Integer> blocks(int lastPhase) {
      java.util.TreeSet<Integer> s = new java.util.TreeSet<>();
      for (int[] op : ops) {
        if (op[0] <= lastPhase) {
          for (int b = op[1]; b < op[1] + op[3]; b++) {
            s.add(b);
          }
        }
      }
      return new ArrayList<>(s);
    }
  }
}
