/*
 * iscsi-crashload: a seeded write workload for crash-durability tests, on libiscsi.
 *
 * Writes records of K logical blocks at LBA base + slot*K (slot drawn from a seeded PRNG, half
 * of the draws from a small hot set so the same LBAs are overwritten often), mixing WRITE(10)
 * and WRITE(16), some with the FUA bit (SBC-4 5.41/5.43: GOOD after FUA means the data is on
 * the medium), and a SYNCHRONIZE CACHE(10)/(16) over the whole medium every so often (SBC-4
 * 5.27). One command at a time (queue depth 1), so the order of acknowledgements is the order
 * of sequence numbers and the oracle is exact.
 *
 * Every logical block is self-describing (all integers little-endian):
 *   0  u64 magic "PMTCRSH1"     8 u32 round    12 u32 index of the block in its write
 *   16 u64 seq                  24 u64 lba     32.. filler from xorshift64*(seed of round/seq/lba)
 *   block_bytes-8  u64 FNV-1a 64 of bytes [0, block_bytes-8)
 * so a torn block (bytes of two versions) or garbage fails the checksum, and a block written
 * to the wrong LBA names its own LBA. io.pmtarget.it.crash.BlockFormat decodes it.
 *
 * stdout, line-buffered, one line per event as it happens (the test reads it while we run):
 *   START <block_bytes>                       logged in, READ CAPACITY done
 *   W <seq> <lba> <blocks> <cdb 10|16> <fua 0|1>   about to send a write
 *   ACK W <seq>                               the write returned GOOD
 *   S <seq> <cdb 10|16>                       about to send SYNCHRONIZE CACHE
 *   ACK S <seq>                               it returned GOOD
 *   ERR <seq> <text>                          a command failed (the target died): we exit 3
 *   DONE <ops>                                the workload ended on its own
 *
 * Usage: iscsi-crashload [-i iqn] -r round -s seed -b base_lba -n slots -k blocks_per_write
 *          -y sync_one_in -f fua_percent -m max_ms -w max_writes <iscsi-url>
 * Exit: 0 done, 1 usage, 2 login failed, 3 command failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define MAGIC 0x3148535243544d50ULL /* "PMTCRSH1" read as little-endian u64 */
#define HEADER_BYTES 32
#define RECORD_BYTES_MAX (64 * 1024)
/* A command that takes longer than this on loopback means the target is gone or hung. */
#define COMMAND_TIMEOUT_S 10

struct params {
	uint32_t round;
	uint64_t seed;
	uint64_t base_lba;
	uint64_t slots;
	uint32_t blocks_per_write;
	uint32_t sync_one_in;
	uint32_t fua_percent;
	uint64_t max_ms;
	uint64_t max_writes;
};

static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (unsigned char)(v >> (8 * i));
	}
}

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (unsigned char)(v >> (8 * i));
	}
}

static uint64_t fnv1a64(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Filler seed: the same mix BlockFormat.fillerSeed uses; never 0 (xorshift would stick at 0). */
static uint64_t filler_seed(uint32_t round, uint64_t seq, uint64_t lba)
{
	uint64_t s = 0x9E3779B97F4A7C15ULL * (seq + 1) ^ (lba * 0xC2B2AE3D27D4EB4FULL) ^ ((uint64_t)round << 40);
	return s == 0 ? 1 : s;
}

static void fill_block(unsigned char *b, uint32_t block_bytes, uint32_t round, uint32_t index,
		       uint64_t seq, uint64_t lba)
{
	put_u64(b, MAGIC);
	put_u32(b + 8, round);
	put_u32(b + 12, index);
	put_u64(b + 16, seq);
	put_u64(b + 24, lba);
	uint64_t state = filler_seed(round, seq, lba);
	for (uint32_t off = HEADER_BYTES; off + 8 <= block_bytes - 8; off += 8) {
		put_u64(b + off, rng_next(&state));
	}
	put_u64(b + block_bytes - 8, fnv1a64(b, block_bytes - 8));
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int failed(struct iscsi_context *iscsi, struct scsi_task *task, uint64_t seq, const char *what)
{
	printf("ERR %llu %s: %s\n", (unsigned long long)seq, what,
	       task == NULL ? iscsi_get_error(iscsi) : "status not GOOD");
	if (task != NULL) {
		scsi_free_scsi_task(task);
	}
	return 3;
}

static int do_sync(struct iscsi_context *iscsi, int lun, uint64_t seq, uint64_t *rng)
{
	int cdb16 = (int)(rng_next(rng) & 1);
	printf("S %llu %d\n", (unsigned long long)seq, cdb16 ? 16 : 10);
	/* lba 0, num_blocks 0: the whole medium (SBC-4 5.27.2). */
	struct scsi_task *task = cdb16 ? iscsi_synchronizecache16_sync(iscsi, lun, 0, 0, 0, 0)
				       : iscsi_synchronizecache10_sync(iscsi, lun, 0, 0, 0, 0);
	if (task == NULL || task->status != SCSI_STATUS_GOOD) {
		return failed(iscsi, task, seq, "SYNCHRONIZE CACHE");
	}
	scsi_free_scsi_task(task);
	printf("ACK S %llu\n", (unsigned long long)seq);
	return 0;
}

static uint64_t pick_slot(const struct params *p, uint64_t *rng)
{
	uint64_t hot = p->slots / 8 == 0 ? 1 : p->slots / 8;
	/* Half of the writes go to the hot eighth: overwrites of one LBA within a round. */
	return (rng_next(rng) & 1) ? rng_next(rng) % hot : rng_next(rng) % p->slots;
}

static int do_write(struct iscsi_context *iscsi, int lun, const struct params *p, uint32_t block_bytes,
		    uint64_t seq, uint64_t *rng, unsigned char *buf)
{
	uint64_t lba = p->base_lba + pick_slot(p, rng) * p->blocks_per_write;
	int cdb16 = (int)(rng_next(rng) & 1);
	int fua = rng_next(rng) % 100 < p->fua_percent;
	for (uint32_t i = 0; i < p->blocks_per_write; i++) {
		fill_block(buf + (size_t)i * block_bytes, block_bytes, p->round, i, seq, lba + i);
	}
	uint32_t len = p->blocks_per_write * block_bytes;
	printf("W %llu %llu %u %d %d\n", (unsigned long long)seq, (unsigned long long)lba,
	       p->blocks_per_write, cdb16 ? 16 : 10, fua);
	struct scsi_task *task = cdb16
		? iscsi_write16_sync(iscsi, lun, lba, buf, len, (int)block_bytes, 0, 0, fua, 0, 0)
		: iscsi_write10_sync(iscsi, lun, (uint32_t)lba, buf, len, (int)block_bytes, 0, 0, fua, 0, 0);
	if (task == NULL || task->status != SCSI_STATUS_GOOD) {
		return failed(iscsi, task, seq, cdb16 ? "WRITE(16)" : "WRITE(10)");
	}
	scsi_free_scsi_task(task);
	printf("ACK W %llu\n", (unsigned long long)seq);
	return 0;
}

static int run(struct iscsi_context *iscsi, int lun, const struct params *p, uint32_t block_bytes)
{
	unsigned char *buf = malloc(RECORD_BYTES_MAX);
	uint64_t rng = p->seed == 0 ? 1 : p->seed;
	uint64_t deadline_ms = now_ms() + p->max_ms;
	uint64_t seq = 1;
	uint64_t writes = 0;
	int rc = 0;
	while (rc == 0 && writes < p->max_writes && now_ms() < deadline_ms) {
		if (p->sync_one_in > 0 && rng_next(&rng) % p->sync_one_in == 0) {
			rc = do_sync(iscsi, lun, seq, &rng);
		} else {
			rc = do_write(iscsi, lun, p, block_bytes, seq, &rng, buf);
			writes++;
		}
		seq++;
	}
	if (rc == 0) {
		/* A clean end is durable too: the final sync makes every write a checked one. */
		rc = do_sync(iscsi, lun, seq, &rng);
		if (rc == 0) {
			printf("DONE %llu\n", (unsigned long long)seq);
		}
	}
	free(buf);
	return rc;
}

static int parse(int argc, char **argv, struct params *p, const char **initiator)
{
	int opt;
	memset(p, 0, sizeof(*p));
	p->max_writes = UINT64_MAX;
	p->max_ms = 2000;
	p->blocks_per_write = 8;
	while ((opt = getopt(argc, argv, "i:r:s:b:n:k:y:f:m:w:")) != -1) {
		uint64_t v = optarg == NULL ? 0 : strtoull(optarg, NULL, 10);
		switch (opt) {
		case 'i': *initiator = optarg; break;
		case 'r': p->round = (uint32_t)v; break;
		case 's': p->seed = v; break;
		case 'b': p->base_lba = v; break;
		case 'n': p->slots = v; break;
		case 'k': p->blocks_per_write = (uint32_t)v; break;
		case 'y': p->sync_one_in = (uint32_t)v; break;
		case 'f': p->fua_percent = (uint32_t)v; break;
		case 'm': p->max_ms = v; break;
		case 'w': p->max_writes = v; break;
		default: return 1;
		}
	}
	if (argc - optind != 1 || p->slots == 0 || p->blocks_per_write == 0 || p->fua_percent > 100) {
		fprintf(stderr, "usage: iscsi-crashload [-i iqn] -r round -s seed -b base_lba -n slots"
				" -k blocks_per_write -y sync_one_in -f fua_percent -m max_ms -w max_writes <url>\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *initiator = "iqn.2026-11.io.pmtarget:iscsi-crashload";
	struct params p;
	if (parse(argc, argv, &p, &initiator) != 0) {
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct iscsi_context *iscsi = iscsi_create_context(initiator);
	struct iscsi_url *url = iscsi_parse_full_url(iscsi, argv[optind]);
	if (url == NULL) {
		fprintf(stderr, "iscsi-crashload: bad URL: %s\n", iscsi_get_error(iscsi));
		return 1;
	}
	/* After the target is killed, a reconnect would resend commands to the restarted target
	 * behind the test's back: fail instead, so the log ends where the target died. */
	iscsi_set_noautoreconnect(iscsi, 1);
	iscsi_set_timeout(iscsi, COMMAND_TIMEOUT_S);
	iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(iscsi, ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_targetname(iscsi, url->target);
	if (iscsi_full_connect_sync(iscsi, url->portal, url->lun) != 0) {
		fprintf(stderr, "iscsi-crashload: login failed: %s\n", iscsi_get_error(iscsi));
		return 2;
	}
	struct scsi_task *task = iscsi_readcapacity16_sync(iscsi, url->lun);
	struct scsi_readcapacity16 *rc16 = task == NULL || task->status != SCSI_STATUS_GOOD
		? NULL : scsi_datain_unmarshall(task);
	if (rc16 == NULL || rc16->block_length < 64 ||
	    (uint64_t)rc16->block_length * p.blocks_per_write > RECORD_BYTES_MAX ||
	    p.base_lba + p.slots * p.blocks_per_write > rc16->returned_lba + 1) {
		fprintf(stderr, "iscsi-crashload: READ CAPACITY(16) failed, or the record range does not fit\n");
		return 3;
	}
	uint32_t block_bytes = rc16->block_length;
	scsi_free_scsi_task(task);
	printf("START %u\n", block_bytes);
	int rc = run(iscsi, url->lun, &p, block_bytes);
	if (rc == 0) {
		iscsi_logout_sync(iscsi);
	}
	iscsi_destroy_url(url);
	iscsi_destroy_context(iscsi);
	return rc;
}
