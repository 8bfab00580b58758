"""Side-by-side iSCSI target benchmark (issue 6): pmtarget vs tgtd vs jSCSI, driven by fio's libiscsi engine."""
