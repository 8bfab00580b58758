package io.pmtarget.it.kernel;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A target the kernel-initiator guest logs in to: listens on 127.0.0.1, exports one disk LUN
 * backed by a file, configured for a {@link KernelVariant} (CHAP accounts, digests allowed).
 * Implementations: {@link TgtdKernelTarget}; our own server is plugged in by the coordinator.
 */
public interface KernelTarget extends AutoCloseable {

  /** Where the guest's forwarded portal leads: 127.0.0.1:{@code port}, target {@code iqn}. */
  record Endpoint(int port, String iqn) {
    public Endpoint {
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      if (iqn.isEmpty() || iqn.contains(" ") || iqn.contains(",")) {
        throw new IllegalArgumentException("IQN must be non-empty without spaces/commas: " + iqn);
      }
    }
  }

  /** Starts the target on {@code backingFile} (created if missing) configured for the variant. */
  Endpoint start(KernelVariant variant, Path backingFile) throws IOException, InterruptedException;

  /** Stops the target; the backing file stays. Idempotent. */
  void stop() throws IOException, InterruptedException;

  /** Short name for logs, e.g. "tgtd". */
  String name();

  /** {@link #stop()}; an interrupt is kept (flag set) and reported as an IOException. */
  @Override
  default void close() throws IOException {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping " + name(), e);
    }
  }
}
