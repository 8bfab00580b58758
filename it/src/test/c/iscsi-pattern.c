/*
 * iscsi-pattern: move raw blocks between stdin/stdout and an iSCSI LUN with libiscsi.
 *
 * libiscsi-bin ships no tool that writes data (iscsi-perf only reads), so the data
 * round-trip test builds this one. The two directions deliberately use different
 * commands, so one bug cannot hide behind its mirror image:
 *   write: WRITE(16) in chunks, then SYNCHRONIZE CACHE(16) over the whole LUN
 *          (SBC-4 5.27: after GOOD the data is durable), stdin -> LUN.
 *   read:  READ(10) in chunks, LUN -> stdout.
 *
 * Usage: iscsi-pattern write|read [-i initiator-iqn] [-H] <iscsi-url> <lba> <blocks>
 *   -H   require HeaderDigest=CRC32C: offer only CRC32C and fail (exit 5) unless the target's
 *        login reply says HeaderDigest=CRC32C. libiscsi itself accepts a "None" answer, so
 *        without this check a digest test would pass against a target that never digests.
 * Exit: 0 ok, 1 usage, 2 login failed, 3 SCSI command failed, 4 short stdin/stdout error,
 *       5 header digest not negotiated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

/* 64 KiB per command: below every MaxBurstLength default (RFC 7143 13.14: 256 KiB). */
#define CHUNK_BYTES_MAX (64 * 1024)

/* libiscsi logs each login reply key at level 6 ("TargetLoginReply: Key=Value [...]"). */
#define LOGIN_KEY_LOG_LEVEL 6
static int header_digest_accepted;

static void watch_login_keys(int level, const char *message)
{
	(void)level;
	if (strstr(message, "TargetLoginReply: HeaderDigest=CRC32C") != NULL) {
		header_digest_accepted = 1;
	}
}

static int fail_task(struct iscsi_context *iscsi, struct scsi_task *task, const char *what)
{
	fprintf(stderr, "iscsi-pattern: %s failed: %s\n", what,
		task == NULL ? iscsi_get_error(iscsi) : iscsi_get_error(iscsi));
	if (task != NULL) {
		scsi_free_scsi_task(task);
	}
	return 3;
}

static int read_full(unsigned char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(0, buf + done, len - done);
		if (n <= 0) {
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int do_write(struct iscsi_context *iscsi, int lun, uint64_t lba, uint64_t blocks,
		    uint32_t block_bytes)
{
	uint32_t chunk_blocks = CHUNK_BYTES_MAX / block_bytes;
	unsigned char *buf = malloc(CHUNK_BYTES_MAX);
	while (blocks > 0) {
		uint32_t n = blocks < chunk_blocks ? (uint32_t)blocks : chunk_blocks;
		if (read_full(buf, (size_t)n * block_bytes) != 0) {
			fprintf(stderr, "iscsi-pattern: stdin ended before all blocks were read\n");
			free(buf);
			return 4;
		}
		struct scsi_task *task = iscsi_write16_sync(iscsi, lun, lba, buf, n * block_bytes,
							    (int)block_bytes, 0, 0, 0, 0, 0);
		if (task == NULL || task->status != SCSI_STATUS_GOOD) {
			free(buf);
			return fail_task(iscsi, task, "WRITE(16)");
		}
		scsi_free_scsi_task(task);
		lba += n;
		blocks -= n;
	}
	free(buf);
	/* num_blocks 0 = to the end of the medium (SBC-4 5.27). */
	struct scsi_task *task = iscsi_synchronizecache16_sync(iscsi, lun, 0, 0, 0, 0);
	if (task == NULL || task->status != SCSI_STATUS_GOOD) {
		return fail_task(iscsi, task, "SYNCHRONIZE CACHE(16)");
	}
	scsi_free_scsi_task(task);
	return 0;
}

static int do_read(struct iscsi_context *iscsi, int lun, uint64_t lba, uint64_t blocks,
		   uint32_t block_bytes)
{
	uint32_t chunk_blocks = CHUNK_BYTES_MAX / block_bytes;
	while (blocks > 0) {
		uint32_t n = blocks < chunk_blocks ? (uint32_t)blocks : chunk_blocks;
		struct scsi_task *task = iscsi_read10_sync(iscsi, lun, (uint32_t)lba, n * block_bytes,
							   (int)block_bytes, 0, 0, 0, 0, 0);
		if (task == NULL || task->status != SCSI_STATUS_GOOD) {
			return fail_task(iscsi, task, "READ(10)");
		}
		if (task->datain.size != (int)(n * block_bytes) ||
		    fwrite(task->datain.data, 1, (size_t)task->datain.size, stdout) !=
			    (size_t)task->datain.size) {
			fprintf(stderr, "iscsi-pattern: READ(10) returned %d bytes, expected %u\n",
				task->datain.size, n * block_bytes);
			scsi_free_scsi_task(task);
			return 4;
		}
		scsi_free_scsi_task(task);
		lba += n;
		blocks -= n;
	}
	return fflush(stdout) == 0 ? 0 : 4;
}

static int block_length(struct iscsi_context *iscsi, int lun, uint32_t *block_bytes)
{
	struct scsi_task *task = iscsi_readcapacity16_sync(iscsi, lun);
	if (task == NULL || task->status != SCSI_STATUS_GOOD) {
		return fail_task(iscsi, task, "READ CAPACITY(16)");
	}
	struct scsi_readcapacity16 *rc16 = scsi_datain_unmarshall(task);
	if (rc16 == NULL || rc16->block_length == 0 || rc16->block_length > CHUNK_BYTES_MAX) {
		return fail_task(iscsi, task, "READ CAPACITY(16) unmarshall");
	}
	*block_bytes = rc16->block_length;
	scsi_free_scsi_task(task);
	return 0;
}

int main(int argc, char **argv)
{
	const char *initiator = "iqn.2026-11.io.pmtarget:iscsi-pattern";
	int header_digest = 0;
	int opt;
	while ((opt = getopt(argc, argv, "i:H")) != -1) {
		if (opt == 'i') {
			initiator = optarg;
		} else if (opt == 'H') {
			header_digest = 1;
		} else {
			return 1;
		}
	}
	if (argc - optind != 4 || (strcmp(argv[optind], "write") != 0 &&
				   strcmp(argv[optind], "read") != 0)) {
		fprintf(stderr, "usage: iscsi-pattern write|read [-i iqn] [-H] <url> <lba> <blocks>\n");
		return 1;
	}
	int writing = strcmp(argv[optind], "write") == 0;
	uint64_t lba = strtoull(argv[optind + 2], NULL, 10);
	uint64_t blocks = strtoull(argv[optind + 3], NULL, 10);

	struct iscsi_context *iscsi = iscsi_create_context(initiator);
	struct iscsi_url *url = iscsi_parse_full_url(iscsi, argv[optind + 1]);
	if (url == NULL) {
		fprintf(stderr, "iscsi-pattern: bad URL: %s\n", iscsi_get_error(iscsi));
		return 1;
	}
	iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
	if (header_digest) {
		iscsi_set_log_level(iscsi, LOGIN_KEY_LOG_LEVEL);
		iscsi_set_log_fn(iscsi, watch_login_keys);
	}
	iscsi_set_header_digest(iscsi, header_digest ? ISCSI_HEADER_DIGEST_CRC32C
						     : ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_targetname(iscsi, url->target);
	if (url->user[0] != '\0') {
		iscsi_set_initiator_username_pwd(iscsi, url->user, url->passwd);
	}
	if (url->target_user[0] != '\0') {
		iscsi_set_target_username_pwd(iscsi, url->target_user, url->target_passwd);
	}
	if (iscsi_full_connect_sync(iscsi, url->portal, url->lun) != 0) {
		fprintf(stderr, "iscsi-pattern: login failed: %s\n", iscsi_get_error(iscsi));
		return 2;
	}
	if (header_digest && !header_digest_accepted) {
		fprintf(stderr, "iscsi-pattern: target did not answer HeaderDigest=CRC32C\n");
		iscsi_logout_sync(iscsi);
		return 5;
	}
	uint32_t block_bytes = 0;
	int rc = block_length(iscsi, url->lun, &block_bytes);
	if (rc == 0) {
		rc = writing ? do_write(iscsi, url->lun, lba, blocks, block_bytes)
			     : do_read(iscsi, url->lun, lba, blocks, block_bytes);
	}
	iscsi_logout_sync(iscsi);
	iscsi_destroy_url(url);
	iscsi_destroy_context(iscsi);
	return rc;
}
