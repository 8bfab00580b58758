package io.pmtarget.it.kernel;

import io.pmtarget.it.support.PmtargetServer;
import io.pmtarget.it.support.TargetOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Our server as the kernel guest's target. The volume's cache and backing files live in a data
 * dir next to {@code backingFile}, so a second instance started on the same backing file (the
 * write / restart / verify pair) finds what the first one cached and committed.
 */
final class PmtargetKernelTarget implements KernelTarget {

  private PmtargetServer server;

  @Override
  public Endpoint start(KernelVariant variant, Path backingFile) throws IOException {
    if (server != null) {
      throw new IllegalStateException("pmtarget already running: " + server);
    }
    TargetOptions options = TargetOptions.defaults().withLunSizeBytes(TgtdKernelTarget.BACKING_SIZE_BYTES);
    if (variant.chap) {
      options = options.withChap(KernelVariant.INITIATOR_USER, KernelVariant.INITIATOR_SECRET);
    }
    if (variant.mutualChap) {
      options = options.withMutualChap(KernelVariant.TARGET_USER, KernelVariant.TARGET_SECRET);
    }
    if (variant.digests) {
      options = options.withHeaderDigest(true);
    }
    Path dataDir = backingFile.resolveSibling(backingFile.getFileName() + ".pmtarget");
    Files.createDirectories(dataDir);
    server = new PmtargetServer(options, dataDir);
    server.start();
    return new Endpoint(server.port(), server.iqn());
  }

  @Override
  public void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  @Override
  public String name() {
    return "pmtarget";
  }
}
