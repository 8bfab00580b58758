package io.pmtarget.target.scsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Persistent reservation state kept across a restart when the initiator asked for it with APTPL = 1
 * (SPC-5 5.13.5: "activate persist through power loss"). A small text file, replaced atomically
 * (write a temporary file, fsync it, rename it over the old one, fsync the directory), so a crash
 * leaves either the old or the new state, never a mix.
 *
 * <pre>
 * pmtarget-pr 1
 * generation &lt;PRgeneration&gt;
 * reservation &lt;type&gt; &lt;index of the holder registration, -1 for all-registrants types&gt;
 * reg &lt;key hex&gt; &lt;ISID hex&gt; &lt;TPGT&gt; &lt;initiator name&gt; &lt;target name&gt;   (tab-separated)
 * </pre>
 */
final class PrStateFile {

    static final String MAGIC = "pmtarget-pr 1";
    /** Bounds what a damaged or foreign file can make us read. */
    static final long FILE_BYTES_MAX = 1 << 20;

    /** The whole state; type/holderIndex describe the reservation (type 0: none). */
    record State(int generation, int type, int holderIndex, List<Reg> registrations) {
    }

    /** One registration: its key and the I_T nexus it belongs to. */
    record Reg(long key, ItNexus nexus) {
    }

    private PrStateFile() {
    }

    static void write(Path file, State state) throws IOException {
        StringBuilder b = new StringBuilder(128 + 96 * state.registrations().size());
        b.append(MAGIC).append('\n');
        b.append("generation ").append(Integer.toUnsignedString(state.generation())).append('\n');
        b.append("reservation ").append(state.type()).append(' ').append(state.holderIndex()).append('\n');
        for (Reg r : state.registrations()) {
            ItNexus n = r.nexus();
            b.append("reg\t").append(Long.toHexString(r.key())).append('\t').append(Long.toHexString(n.isid()))
                    .append('\t').append(n.targetPortalGroupTag()).append('\t').append(n.initiatorName())
                    .append('\t').append(n.targetName()).append('\n');
        }
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("persistent reservation state " + file + ": the file system cannot rename atomically", e);
        }
        syncDirectory(dir);
    }

    /** Removes the file (APTPL = 0: the state must not survive a restart); durable like a write. */
    static void delete(Path file) throws IOException {
        if (Files.deleteIfExists(file)) {
            syncDirectory(file.toAbsolutePath().getParent());
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** The saved state, or null when there is no file. Throws with the line number for a damaged file. */
    static State read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        long sizeBytes = Files.size(file);
        if (sizeBytes > FILE_BYTES_MAX) {
            throw new IOException(file + ": " + sizeBytes + " bytes, more than " + FILE_BYTES_MAX
                    + " for persistent reservation state");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            throw new IOException(file + ":1: expected '" + MAGIC + "'");
        }
        int generation = 0;
        int type = 0;
        int holderIndex = -1;
        List<Reg> regs = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            try {
                if (line.startsWith("generation ")) {
                    generation = Integer.parseUnsignedInt(line.substring(11));
                } else if (line.startsWith("reservation ")) {
                    String[] f = line.substring(12).split(" ");
                    type = Integer.parseInt(f[0]);
                    holderIndex = Integer.parseInt(f[1]);
                } else if (line.startsWith("reg\t")) {
                    String[] f = line.split("\t");
                    if (f.length != 6) {
                        throw new IllegalArgumentException("expected 6 tab-separated fields, got " + f.length);
                    }
                    long key = Long.parseUnsignedLong(f[1], 16);
                    ItNexus n = new ItNexus(f[4], Long.parseUnsignedLong(f[2], 16), f[5], Integer.parseInt(f[3]));
                    regs.add(new Reg(key, n));
                } else if (!line.isEmpty()) {
                    throw new IllegalArgumentException("unknown line");
                }
            } catch (RuntimeException e) {
                throw new IOException(file + ":" + (i + 1) + ": " + e.getMessage() + ": '" + line + "'", e);
            }
        }
        if (regs.size() > Reservations.REGISTRATIONS_MAX) {
            throw new IOException(file + ": " + regs.size() + " registrations, more than " + Reservations.REGISTRATIONS_MAX);
        }
        boolean holderOk = type == 0 || (Reservations.validType(type)
                && (holderIndex == -1 ? Reservations.allRegistrants(type) && !regs.isEmpty()
                        : !Reservations.allRegistrants(type) && holderIndex >= 0 && holderIndex < regs.size()));
        if (!holderOk) {
            throw new IOException(file + ": reservation type " + type + " with holder index " + holderIndex
                    + " does not fit " + regs.size() + " registrations");
        }
        return new State(generation, type, holderIndex, regs);
    }
}
