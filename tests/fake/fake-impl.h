/*
 * The inside of the fake OS, shared by its three files: fake.c (processes,
 * the clock, the table of operations), fake-sock.c (the one list of
 * sockets) and fake-resv.c (reservations).  Tests include fake.h only.
 */
#ifndef PA_FAKE_IMPL_H
#define PA_FAKE_IMPL_H

#include "fake/fake.h"

#define MAX_PROCS 256

struct fake_proc {
	struct pa_proc p;
	int hidden;
	char *full;                 /* the whole command line (malloc'd):
	                               p.cmdline is cut at PA_CMD_MAX */
};

/*
 * One socket of the fake kernel.  Every question about ports (probe,
 * listen, bind_port, resv_bind, the sockets op, block_create) is answered
 * from the list of these and nothing else.
 */
#define MAX_SOCKS 2048
#define MAX_SOCK_PIDS 8

enum fake_kind {
	FAKE_FREE = 0,  /* an unused slot */
	FAKE_ADDED,     /* pa_fake_add_sock, pa_fake_add_sock_at */
	FAKE_HELD,      /* pa_fake_hold: somebody else's */
	FAKE_BOUND,     /* bind_port, resv_bind: the core's, handle slot + 1 */
	FAKE_LISTEN     /* listen: the core's, fd 1000 + port */
};

struct fake_sock {
	enum fake_kind kind;
	struct pa_sock s;           /* proto, family, local, lport, state */
	int wildcard;               /* local is 0.0.0.0 or :: */
	int dual;                   /* a :: socket that also takes IPv4 */
	int64_t pids[MAX_SOCK_PIDS];
};

#define MAX_BLOCKS 32

struct fake_block {
	unsigned proto;
	uint16_t first, last;
};

struct pa_fake {
	struct pa_os os;
	int64_t now, self, parent, uid;
	int initial_ns;             /* the caller sees every process */
	char boot[48];
	struct fake_proc procs[MAX_PROCS];
	size_t nprocs;
	uint16_t eph_first, eph_last;
	/* the sockets */
	struct fake_sock socks[MAX_SOCKS];
	unsigned char held[65536];  /* derived: protocols of any socket on
	                               a port, for fake-resv.c */
	unsigned char race[65536];  /* a socket appears after the next probe */
	uint64_t next_inode;
	int partial;                /* the sockets op's t->partial */
	unsigned probes, dumps, proc_reads;
	int probe_error;
	/* OS port reservations */
	char netns[64];
	char *reserved;             /* the list, as last written */
	char *dropin;               /* NULL: no drop-in */
	int reserved_error, dropin_error;
	int locked;
	unsigned reserved_writes, unlocked_writes;
	/* reservations in blocks */
	struct fake_block blocks[MAX_BLOCKS];
	size_t nblocks;
	char blocks_text[MAX_BLOCKS * 24 + 1];
	int create_error, delete_error, resv_bind_error;
	unsigned resv_binds;
};

/* fake-sock.c: fills the socket operations of f->os. */
void fake_socks_init(struct pa_fake *f);
/* Is port bound (any address, any kind) for a protocol in protos? */
int fake_bound_by(const struct pa_fake *f, uint16_t port, unsigned protos);
/* A socket of the core bound to 0.0.0.0:port, as bind_port does. */
int fake_bind(struct pa_fake *f, unsigned proto, uint16_t port,
    pa_socket_t *sock, struct pa_error *err);

/* fake-resv.c: fills the reservation operations of f->os. */
void fake_reserve_init(struct pa_fake *f);

#endif
