package io.pmtarget.target.session;

/**
 * Answers a Text Request in the full-feature phase (RFC 7143 section 11.10), e.g. SendTargets in
 * a discovery session. Keys arrive and leave as the raw data segment (key=value pairs, each
 * terminated by a NUL). Called on the event loop: must not block.
 */
@FunctionalInterface
public interface TextResponder {
    byte[] respond(byte[] requestKeys);
}
