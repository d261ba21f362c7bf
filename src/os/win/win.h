/*
 * The Windows backend's own interfaces: text and error conversion, the
 * iphlpapi and Winsock calls it makes through a table (so that tests can
 * replace them, and so that the program starts where iphlpapi.dll lacks the
 * persistent-reservation functions), and the owner-PID table walker.
 */
#ifndef PA_WIN_H
#define PA_WIN_H

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <stddef.h>
#include <stdint.h>

#include "os/os.h"

/*
 * Text: the library speaks UTF-8, Windows UTF-16.
 */
/* A malloc'd UTF-16 copy of UTF-8 s; NULL when out of memory or bad. */
wchar_t *pa__win_wide(const char *s);
/* UTF-16 w as UTF-8 into buf (cut to fit, always terminated); 0, or -1
 * when w does not convert. */
int pa__win_narrow(const wchar_t *w, char *buf, size_t len);

/*
 * Errors, translated once, here: a Win32 or Winsock error code e becomes
 * a PA_E* code (ERROR_ACCESS_DENIED and WSAEACCES: PA_EPERM;
 * ERROR_SHARING_VIOLATION and WSAEADDRINUSE: PA_EINUSE; ERROR_NOT_FOUND:
 * PA_ENOENT; WSAEOPNOTSUPP, ERROR_NOT_SUPPORTED: PA_ENOTSUP; memory:
 * PA_ENOMEM; else PA_EOS), and err's message is "WHAT: SYSTEM TEXT"
 * (FormatMessage's, with the number).
 */
int pa__win_code(DWORD e);
int pa__win_err(struct pa_error *err, DWORD e, const char *fmt, ...)
    __attribute__((format(PA_PRINTF_KIND, 3, 4)));

/* Starts Winsock 2.2 once per process; 0 or PA_EOS. */
int pa__win_wsa(struct pa_error *err);

/* A new socket of proto (PA_TCP, PA_UDP) for a's family, exclusive
 * (SO_EXCLUSIVEADDRUSE: nobody may bind its address and port while it
 * lives, and its bind fails where anybody has); INVALID_SOCKET with
 * WSAGetLastError() set otherwise. */
SOCKET pa__win_socket(const struct pa_addr *a, unsigned proto);

/*
 * The calls into iphlpapi.dll and Winsock that tests replace.  Index 0 is
 * TCP, 1 UDP.  Ports are in network byte order, as iphlpapi wants them.
 */
typedef ULONG (WINAPI *pa__win_resv_fn)(USHORT start, USHORT n,
    PULONG64 token);
typedef ULONG (WINAPI *pa__win_unresv_fn)(USHORT start, USHORT n);
typedef DWORD (WINAPI *pa__win_tcptab_fn)(PVOID table, PDWORD size,
    BOOL order, ULONG af, TCP_TABLE_CLASS cls, ULONG reserved);
typedef DWORD (WINAPI *pa__win_udptab_fn)(PVOID table, PDWORD size,
    BOOL order, ULONG af, UDP_TABLE_CLASS cls, ULONG reserved);

struct pa__win_api {
	/* {Create,Lookup,Delete}Persistent{Tcp,Udp}PortReservation; NULL
	 * where this Windows (or Wine) has none. */
	pa__win_resv_fn create[2], lookup[2];
	pa__win_unresv_fn remove[2];
	/* Associates the reservation token with s
	 * (SIO_ASSOCIATE_PORT_RESERVATION), then binds s to sa, whose port
	 * is 0.  0, or the Winsock error. */
	int (*assoc_bind)(SOCKET s, ULONG64 token, const struct sockaddr *sa,
	    int len);
	pa__win_tcptab_fn tcp_table;    /* GetExtendedTcpTable */
	pa__win_udptab_fn udp_table;    /* GetExtendedUdpTable */
};

/* The real calls, resolved once (GetProcAddress on iphlpapi.dll). */
const struct pa__win_api *pa__win_api_real(void);

/* The OS table of the Windows backend, on the calls of api. */
struct pa__win {
	struct pa_os os;
	const struct pa__win_api *api;
};
void pa__win_os_init(struct pa__win *w, const struct pa__win_api *api);

/* The socket ops (net-win.c). */
int pa__win_probe(void *ctx, const struct pa_addr *addrs, int n,
    uint16_t port, unsigned protos, struct pa_error *err);
int pa__win_bind_port(void *ctx, unsigned proto, const struct pa_addr *addr,
    uint16_t port, pa_socket_t *sock, struct pa_error *err);
void pa__win_sock_close(void *ctx, pa_socket_t sock);
/* Configuration files (files-win.c): a stub that reads but cannot yet
 * say who may write the file. */
int pa__win_file_read(void *ctx, const char *path, size_t max,
    struct pa_file_read *f, struct pa_error *err);
/* The store's lock (lock-win.c): LockFileEx beside the store. */
int pa__win_store_lock(void *ctx, const char *store_path, int timeout_ms,
    intptr_t *handle, int64_t *holder, struct pa_error *err);
void pa__win_store_unlock(void *ctx, intptr_t handle);

/* The ops that use the api (reserve-win.c, sockets-win.c); ctx is the
 * struct pa__win. */
extern const struct pa__resv_range_ops pa__win_resv_range;
int pa__win_sockets(void *ctx, const struct pa_portq *q, size_t nq,
    int pids, struct pa_socktab *t, struct pa_error *err);

/* argv as one command line (UTF-8, malloc'd) that CommandLineToArgvW
 * and the C runtime split back into argv; NULL when out of memory. */
char *pa__win_command_line(char *const argv[]);

/*
 * Owner-PID tables.
 */
/* Rows of the tables: sockets, and the pid owning each (0: none, as for
 * TIME_WAIT).  Windows has no socket inodes: every row is one socket. */
struct pa__win_rows {
	struct pa__sockvec socks;
	int64_t *pids;              /* pids[i] owns socks.v[i] */
	size_t pcap;
};
void pa__win_rows_free(struct pa__win_rows *r);
/*
 * Walks one table as GetExtendedTcpTable (TCP_TABLE_OWNER_PID_ALL) or
 * GetExtendedUdpTable (UDP_TABLE_OWNER_PID) returns it for family 4 or 6:
 * buf[0..len) holds dwNumEntries and the rows.  Every row whose local port
 * (the low 16 bits of dwLocalPort, network order) and proto match q is
 * appended to out.  PA_EDATA when the rows would run past len.
 */
int pa__win_table_walk(const void *buf, size_t len, unsigned proto,
    int family, const struct pa_portq *q, size_t nq,
    struct pa__win_rows *out, struct pa_error *err);
/* One whole table into *buf (malloc'd), asking again while it grows. */
int pa__win_table_read(const struct pa__win_api *api, unsigned proto,
    int family, void **buf, size_t *len, struct pa_error *err);
/* MIB_TCP_STATE_* as PA_SOCK_*. */
int pa__win_tcp_state(DWORD state);

#endif
