package io.pmtarget.it.libiscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.TargetOptions;
import io.pmtarget.it.support.TargetUnderTest;
import io.pmtarget.it.support.Targets;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** libiscsi-bin's inquiry, discovery and capacity tools against each target. */
class LibiscsiToolsIT {

    private static final long LUN_SIZE_BYTES = 96 * TargetOptions.MIB;
    private static final TargetOptions OPTIONS = TargetOptions.defaults().withLunSizeBytes(LUN_SIZE_BYTES);
    private static final Pattern VPD_PAGE = Pattern.compile("^Page:0x([0-9a-f]{2}) ", Pattern.MULTILINE);
    /** SPC-5 7.7.1: 0x00 (supported pages), 0x80 (serial) and 0x83 (device identification) are mandatory. */
    private static final List<Integer> MANDATORY_VPD = List.of(0x00, 0x80, 0x83);

    static List<Targets.Factory> targets() {
        return Targets.enabled();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void standardInquiryReportsADirectAccessDisk(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(OPTIONS)) {
            Exec.Result r = LibiscsiTools.inq(t.url().toString());
            assertTrue(r.ok(), r.describe());
            assertEquals("CONNECTED", LibiscsiTools.field(r.stdout(), "Peripheral Qualifier"), r.describe());
            assertEquals("DIRECT_ACCESS", LibiscsiTools.field(r.stdout(), "Peripheral Device Type"), r.describe());
            assertFalse(LibiscsiTools.field(r.stdout(), "Vendor").isEmpty(), r.describe());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void everySupportedVpdPageCanBeRead(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(OPTIONS)) {
            String url = t.url().toString();
            Exec.Result supported = LibiscsiTools.vpd(url, 0x00);
            assertTrue(supported.ok(), supported.describe());
            List<Integer> pages = new ArrayList<>();
            Matcher m = VPD_PAGE.matcher(supported.stdout());
            while (m.find()) {
                pages.add(Integer.parseInt(m.group(1), 16));
            }
            assertTrue(pages.containsAll(MANDATORY_VPD), "mandatory VPD pages " + MANDATORY_VPD
                    + " missing from " + pages + "\n" + supported.describe());
            for (int page : pages) {
                Exec.Result r = LibiscsiTools.vpd(url, page);
                assertTrue(r.ok(), "VPD page 0x" + Integer.toHexString(page) + ": " + r.describe());
                assertFalse(r.stdout().isBlank(), "VPD page 0x" + Integer.toHexString(page) + " printed nothing");
            }
            Exec.Result serial = LibiscsiTools.vpd(url, 0x80);
            String sn = LibiscsiTools.field(serial.stdout(), "Unit Serial Number");
            assertTrue(sn != null && !sn.replaceAll("[\\[\\] ]", "").isEmpty(), serial.describe());
            Exec.Result ids = LibiscsiTools.vpd(url, 0x83);
            assertTrue(ids.stdout().contains("DEVICE DESIGNATOR #0"), ids.describe());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void discoveryListsTheTargetAndItsDiskLun(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(OPTIONS)) {
            Exec.Result r = LibiscsiTools.ls(t.url().withoutChap().portalUrl());
            assertTrue(r.ok(), r.describe());
            assertTrue(r.stdout().contains("Target:" + t.iqn() + " Portal:127.0.0.1:" + t.port()),
                    "SendTargets must name " + t.iqn() + " at 127.0.0.1:" + t.port() + "\n" + r.describe());
            Pattern lunLine = Pattern.compile("^Lun:" + t.lun() + "\\s+Type:DIRECT_ACCESS", Pattern.MULTILINE);
            assertTrue(lunLine.matcher(r.stdout()).find(), "LUN " + t.lun() + " is a disk\n" + r.describe());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void readCapacity16MatchesTheConfiguredSize(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(OPTIONS)) {
            Exec.Result r = LibiscsiTools.readCapacity16(t.url().toString());
            assertTrue(r.ok(), r.describe());
            long blockBytes = Long.parseLong(LibiscsiTools.field(r.stdout(), "LOGICAL BLOCK LENGTH IN BYTES"));
            long lastLba = Long.parseLong(LibiscsiTools.field(r.stdout(), "RETURNED LOGICAL BLOCK ADDRESS"));
            assertEquals(512, blockBytes, r.describe());
            // SBC-4 5.20.2: RETURNED LOGICAL BLOCK ADDRESS is the LAST LBA, not the count.
            assertEquals(LUN_SIZE_BYTES / blockBytes - 1, lastLba, r.describe());
            assertEquals(Long.toString(LUN_SIZE_BYTES), LibiscsiTools.field(r.stdout(), "Total size"), r.describe());
        }
    }
}
