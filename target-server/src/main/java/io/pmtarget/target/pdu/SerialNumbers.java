package io.pmtarget.target.pdu;

/**
 * 32-bit serial number arithmetic (RFC 1982 with SERIAL_BITS = 32), which RFC 7143 section 4.2.2.1
 * prescribes for CmdSN, StatSN, DataSN and friends: values wrap, and a < b means b is "after" a
 * by less than 2^31.
 */
public final class SerialNumbers {
    private SerialNumbers() {
    }

    /** True if a is before b (a != b and b - a in (0, 2^31)). */
    public static boolean lessThan(int a, int b) {
        return a != b && (b - a) > 0;
    }

    public static boolean lessOrEqual(int a, int b) {
        return a == b || lessThan(a, b);
    }

    /** True if lowest <= value <= highest in serial order (the window does not wrap past 2^31). */
    public static boolean inWindow(int value, int lowest, int highest) {
        return lessOrEqual(lowest, value) && lessOrEqual(value, highest);
    }
}
