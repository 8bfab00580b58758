package io.pmtarget.target.login;

/** A login or text data segment that violates RFC 7143 section 6.1 (the text format). */
public final class TextFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public TextFormatException(String message) {
        super(message);
    }
}
