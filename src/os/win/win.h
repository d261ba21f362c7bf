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
    PA__PRINTF(3, 4);

/* Starts Winsock 2.2 once per process; 0 or PA_EOS. */
int pa__win_wsa(struct pa_error *err);

/* A new socket of proto (PA_TCP, PA_UDP) for a's family, exclusive
 * (SO_EXCLUSIVEADDRUSE: nobody may bind its address and port while it
 * lives, and its bind fails where anybody has) and not inheritable
 * (WSA_FLAG_NO_HANDLE_INHERIT: no child gets it unless exec hands it over
 * by name); INVALID_SOCKET with WSAGetLastError() set otherwise. */
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
	 * (SIO_ASSOCIATE_PORT_RESERVATION), then binds s to sa (port 0: the
	 * OS picks from the reservation).  0, or the Winsock error. */
	int (*assoc_bind)(SOCKET s, ULONG64 token, const struct sockaddr *sa,
	    int len);
	/* A plain bind(); 0, or the Winsock error.  NULL: the real one. */
	int (*bind)(SOCKET s, const struct sockaddr *sa, int len);
	pa__win_tcptab_fn tcp_table;    /* GetExtendedTcpTable */
	pa__win_udptab_fn udp_table;    /* GetExtendedUdpTable */
};

/* The real calls, resolved once (GetProcAddress on iphlpapi.dll). */
const struct pa__win_api *pa__win_api_real(void);

/*
 * The reservations this process has seen as its own (made, or looked up
 * before a walk): inside them a plain bind may fail with WSAEACCES
 * although nobody holds the port, so such a failure is not "in use" there.
 */
#define PA__WIN_OWN_MAX 16
struct pa__win_own {
	unsigned proto;
	uint16_t first, last;
};

/* The OS table of the Windows backend, on the calls of api. */
struct pa__win {
	struct pa_os os;
	const struct pa__win_api *api;
	SRWLOCK lock;               /* guards own[] */
	struct pa__win_own own[PA__WIN_OWN_MAX];
	size_t nown;
};
void pa__win_os_init(struct pa__win *w, const struct pa__win_api *api);

/* Remembers first..last as a reservation of proto this process may use. */
void pa__win_own_note(struct pa__win *w, unsigned proto, uint16_t first,
    uint16_t last);
/* The remembered reservation of proto holding port into *r: 1, or 0. */
int pa__win_own_find(struct pa__win *w, unsigned proto, uint16_t port,
    struct pa__win_own *r);
/* Does the owner-PID table of proto show any socket on port (1), or on
 * port at a wildcard address (wild: 0.0.0.0, ::) (1)?  0 if not, or
 * when the table cannot be read. */
int pa__win_port_seen(struct pa__win *w, unsigned proto, uint16_t port,
    int wild);
/* The token of the reservation of exactly first..last for proto
 * (reserve-win.c); PA_ENOENT, PA_ENOTSUP or an OS error otherwise. */
int pa__win_token(struct pa__win *w, unsigned proto, uint16_t first,
    uint16_t last, ULONG64 *token, struct pa_error *err);
/*
 * resv_bind on a token: a new socket of proto on addr bound to a port the
 * OS picks from the reservation first..last.  A port that another
 * process holds on a wildcard address (which an exclusive bind to a
 * specific address does not see) is refused: its socket stays bound
 * while the OS picks again, then is closed.  PA_EFULL when no port is
 * left (WSAEADDRINUSE, WSAENOBUFS).
 */
int pa__win_token_bind(struct pa__win *w, ULONG64 token, uint16_t first,
    uint16_t last, unsigned proto, const struct pa_addr *addr,
    uint16_t *port, pa_socket_t *sock, struct pa_error *err);
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
/* exec --listen: a listening TCP socket on a:port, not inheritable; in
 * one of this process's reservations, through its token where a plain
 * bind is refused.  PA_EINUSE when the port is taken. */
int pa__win_listen(void *ctx, const struct pa_addr *a, uint16_t port,
    int *fd, struct pa_error *err);
void pa__win_unlisten(void *ctx, int fd);
/* The store's lock (lock-win.c): LockFileEx beside the store. */
int pa__win_store_lock(void *ctx, const char *store_path, int timeout_ms,
    intptr_t *handle, int64_t *holder, struct pa_error *err);
void pa__win_store_unlock(void *ctx, intptr_t handle);

/* The ops that use the api (reserve-win.c, sockets-win.c); ctx is the
 * struct pa__win. */
extern const struct pa__resv_range_ops pa__win_resv_range;
int pa__win_sockets(void *ctx, const struct pa_portq *q, size_t nq,
    int pids, struct pa_socktab *t, struct pa_error *err);

/* How much of path is its root ("C:\\", "\\\\server\\share\\",
 * "\\\\?\\C:\\", "\\\\?\\UNC\\server\\share\\"): what exists or cannot be
 * made by creating directories. */
size_t pa__win_root_len(const char *path);

/*
 * exec's command (cmdline-win.c).
 */
/* argv as one command line (UTF-8, malloc'd) that CommandLineToArgvW
 * and the C runtime split back into argv; NULL when out of memory. */
char *pa__win_command_line(char *const argv[]);
/* The command line that runs batch file script (its path) with argv[1..]
 * in cmd.exe, each argument quoted for cmd.exe; PA_EUSAGE for an
 * argument cmd.exe cannot carry (with % " CR or LF). */
int pa__win_batch_line(const char *script, char *const argv[], char **line,
    struct pa_error *err);
/* Is path a batch file (.bat, .cmd)? */
int pa__win_is_batch(const wchar_t *path);
/* The file name runs: a name with a slash or a drive as it is, else
 * through PATH's folders only; with its extension, then with each of
 * PATHEXT's.  PA_ENOENT when there is none. */
int pa__win_resolve(const char *name, wchar_t *out, size_t len,
    struct pa_error *err);

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

/*
 * Who may write a file (acl-win.c): 1 when only SYSTEM, Administrators
 * and TrustedInstaller own and may write the file and its folder, and may
 * replace what is in the folders above; 0 when not, -1 when unreadable
 * (why says which and why either way).
 */
int pa__win_admin_only(const char *path, char *why, size_t len);
/* The same for one security descriptor: of the file or its folder
 * (leaf), or of a folder above. */
int pa__win_sd_admin_only(PSECURITY_DESCRIPTOR sd, int leaf, char *why,
    size_t len);
/*
 * The owner and the writers of a file or directory as the core's file
 * facts (os.h) state them: uid 0 for SYSTEM, Administrators or
 * TrustedInstaller, else the owner's RID (the backend's uid); mode 0644
 * (0755 a directory), with 0022 when another SID may write, delete or
 * change the ACL or owner, and for a directory where others may only add
 * entries, 01777 (sticky: they cannot replace what is there).  0, or -1
 * when the descriptor cannot be read.
 */
int pa__win_sd_facts(PSECURITY_DESCRIPTOR sd, int dir, int64_t *uid,
    unsigned *mode);
int pa__win_path_facts(const char *path, int dir, int64_t *uid,
    unsigned *mode);

/*
 * netsh (netsh-win.c): the dynamic port range and the excluded ranges,
 * which Windows has no public function for.
 */
struct pa__win_range {
	uint16_t first, last;
	int administered;           /* "*": added with netsh, not by Hyper-V
	                               or WinNAT at run time */
};
/* netsh's output for args ("int ipv4 show dynamicport tcp"), malloc'd;
 * NULL when netsh cannot be run. */
char *pa__win_netsh(const wchar_t *args);
/* "show dynamicport" output: the range; 0, or -1 when unreadable. */
int pa__win_parse_dynamic(const char *text, uint16_t *first,
    uint16_t *last);
/* "show excludedportrange" output: up to max ranges into v, *n of them;
 * 0, or -1 when there were more. */
int pa__win_parse_excluded(const char *text, struct pa__win_range *v,
    size_t max, size_t *n);
/* The ranges excluded for proto (PA_TCP, PA_UDP) now, netsh's "show
 * excludedportrange": portalloc's own persistent reservations among them.
 * PA_ENOTSUP when netsh cannot be run. */
int pa__win_excluded(unsigned proto, struct pa__win_range *v, size_t max,
    size_t *n, struct pa_error *err);

#endif
