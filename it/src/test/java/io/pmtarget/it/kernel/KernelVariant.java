package io.pmtarget.it.kernel;

/**
 * One login configuration the Linux initiator (open-iscsi + iscsi_tcp) is run with.
 * The target must be configured to match: {@link KernelTarget#start} receives the variant.
 *
 * <p>CHAP per RFC 7143 section 12.1.3 (and RFC 1994); mutual CHAP means the target also proves
 * its identity (CHAP_I/CHAP_C sent by the initiator). Digests per RFC 7143 section 13.1:
 * the kernel initiator, unlike libiscsi, also negotiates DataDigest.
 */
public enum KernelVariant {
  NO_AUTH(false, false, false),
  CHAP(true, false, false),
  MUTUAL_CHAP(true, true, false),
  CRC32C_DIGESTS(false, false, true),
  /** Used by the write / target-restart / verify pair: everything at once. */
  MUTUAL_CHAP_DIGESTS(true, true, true);

  /** Initiator's CHAP name and secret (the target authenticates the initiator with them). */
  public static final String INITIATOR_USER = "pmt-initiator";
  public static final String INITIATOR_SECRET = "initiator-secret-0123";
  /** Target's CHAP name and secret for mutual CHAP (the initiator authenticates the target). */
  public static final String TARGET_USER = "pmt-target";
  public static final String TARGET_SECRET = "target-secret-456789";

  public final boolean chap;
  public final boolean mutualChap;
  public final boolean digests;

  KernelVariant(boolean chap, boolean mutualChap, boolean digests) {
    assert chap || !mutualChap : "mutual CHAP needs CHAP";
    this.chap = chap;
    this.mutualChap = mutualChap;
    this.digests = digests;
  }

  /** The HeaderDigest/DataDigest value the initiator demands (no fallback list). */
  public String digestValue() {
    return digests ? "CRC32C" : "None";
  }
}
