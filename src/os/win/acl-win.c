/*
 * Is a file one that only Administrators can have written?  The Windows
 * side of "the system config is not writable by users": an Administrator's
 * `portalloc reserve` must not read blocks that a user planted.
 *
 * The rule, on the owner and the allow ACEs of the file and of every
 * folder above it (GetNamedSecurityInfoW):
 * - every owner is SYSTEM, Administrators or TrustedInstaller;
 * - on the file and its own folder, no other SID is allowed to write,
 *   append (for a folder: add a file or a subfolder), delete, change the
 *   ACL or the owner;
 * - on the folders above, no other SID may delete children, change the
 *   ACL or the owner (adding entries is allowed: %ProgramData% lets every
 *   user create folders, but not replace an Administrator's);
 * - ACEs that only pass on to children (INHERIT_ONLY) do not count; deny
 *   ACEs are not read, so a right denied elsewhere may still refuse.
 * A folder missing above counts as refused: it could be created by anyone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "os/win/win.h"

#include <aclapi.h>
#include <sddl.h>

#define LEAF_RIGHTS (FILE_WRITE_DATA | FILE_APPEND_DATA | DELETE | \
	FILE_DELETE_CHILD | WRITE_DAC | WRITE_OWNER | GENERIC_WRITE | \
	GENERIC_ALL)
#define ANCESTOR_RIGHTS (FILE_DELETE_CHILD | WRITE_DAC | WRITE_OWNER | \
	GENERIC_ALL)

/* SYSTEM, Administrators, TrustedInstaller? */
static int
trusted(PSID sid)
{
	static const char *const ti = "S-1-5-80-956008885-3418522649-"
	    "1831038044-1853292631-2271478464";
	char *text = NULL;
	int yes;

	if (IsWellKnownSid(sid, WinLocalSystemSid) ||
	    IsWellKnownSid(sid, WinBuiltinAdministratorsSid))
		return 1;
	if (!ConvertSidToStringSidA(sid, &text))
		return 0;
	yes = strcmp(text, ti) == 0;
	LocalFree(text);
	return yes;
}

/* The SID as text into buf, for a message. */
static void
sid_text(PSID sid, char *buf, size_t len)
{
	char *text = NULL;

	if (ConvertSidToStringSidA(sid, &text)) {
		pa__strlcpy(buf, text, len);
		LocalFree(text);
	} else {
		pa__strlcpy(buf, "?", len);
	}
}

int
pa__win_sd_admin_only(PSECURITY_DESCRIPTOR sd, int leaf, char *why,
    size_t len)
{
	BOOL present = FALSE, dflt = FALSE;
	ACCESS_ALLOWED_ACE *ace;
	PSID owner = NULL;
	char who[200];
	PACL dacl = NULL;
	DWORD i;

	if (!GetSecurityDescriptorOwner(sd, &owner, &dflt) || owner == NULL ||
	    !trusted(owner)) {
		sid_text(owner, who, sizeof(who));
		snprintf(why, len, "owned by %s, not an Administrator", who);
		return 0;
	}
	if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &dflt) ||
	    !present || dacl == NULL) {
		snprintf(why, len, "no access list: everyone may write");
		return 0;
	}
	for (i = 0; i < dacl->AceCount; i++) {
		if (!GetAce(dacl, i, (void **)&ace) ||
		    ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE ||
		    (ace->Header.AceFlags & INHERIT_ONLY_ACE) ||
		    !(ace->Mask & (leaf ? LEAF_RIGHTS : ANCESTOR_RIGHTS)) ||
		    trusted((PSID)&ace->SidStart))
			continue;
		sid_text((PSID)&ace->SidStart, who, sizeof(who));
		snprintf(why, len, "%s may %s it", who, leaf ? "write" :
		    "replace what is in");
		return 0;
	}
	return 1;
}

/* The owner and access list of path into *sd (LocalFree it): 0, or
 * -1 when the name is no UTF-8 path, or Windows' error code. */
static long
path_sd(const char *path, PSECURITY_DESCRIPTOR *sd)
{
	wchar_t *w = pa__win_wide(path);
	DWORD e;

	*sd = NULL;
	if (w == NULL)
		return -1;
	e = GetNamedSecurityInfoW(w, SE_FILE_OBJECT,
	    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, NULL, NULL,
	    NULL, NULL, sd);
	free(w);
	return e == ERROR_SUCCESS ? 0 : (long)e;
}

/* One path (file or folder): 1 admin-only, 0 not (why says), -1 unread. */
static int
one(const char *path, int leaf, char *why, size_t len)
{
	PSECURITY_DESCRIPTOR sd;
	long e;
	int rc;

	if ((e = path_sd(path, &sd)) != 0) {
		if (e > 0)
			snprintf(why, len, "its access list cannot be read "
			    "(%lu)", (unsigned long)e);
		return -1;
	}
	rc = pa__win_sd_admin_only(sd, leaf, why, len);
	LocalFree(sd);
	return rc;
}

int
pa__win_admin_only(const char *path, char *why, size_t len)
{
	char p[PA_PATH_MAX], msg[300];
	size_t root = pa__win_root_len(path), n;
	int depth, rc;

	if (root == 0 || pa__strlcpy(p, path, sizeof(p))) {
		snprintf(why, len, "%s: not an absolute path", path);
		return -1;
	}
	/* the file, its folder, then every folder up to the root */
	for (depth = 0; depth < 128; depth++) {
		if ((rc = one(p, depth < 2, msg, sizeof(msg))) != 1) {
			snprintf(why, len, "%s: %s", p, msg);
			return rc;
		}
		if ((n = strlen(p)) <= root)
			return 1;
		while (n > root && p[n - 1] != '\\' && p[n - 1] != '/')
			n--;
		p[n > root ? n - 1 : root] = '\0';
	}
	return -1;
}

/* The RID (last sub-authority) of sid: the backend's uid; -1 if none. */
static int64_t
rid(PSID sid)
{
	UCHAR n;

	if (!IsValidSid(sid) || (n = *GetSidSubAuthorityCount(sid)) == 0)
		return -1;
	return (int64_t)*GetSidSubAuthority(sid, n - 1);
}

int
pa__win_sd_facts(PSECURITY_DESCRIPTOR sd, int dir, int64_t *uid,
    unsigned *mode)
{
	BOOL present = FALSE, dflt = FALSE;
	ACCESS_ALLOWED_ACE *ace;
	PSID owner = NULL, who;
	PACL dacl = NULL;
	DWORD i;

	*mode = dir ? 0755 : 0644;
	if (!GetSecurityDescriptorOwner(sd, &owner, &dflt) || owner == NULL)
		return -1;
	*uid = trusted(owner) ? 0 : rid(owner);
	if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &dflt) ||
	    !present || dacl == NULL) {
		*mode |= 0777;  /* no access list: everyone may */
		return 0;
	}
	for (i = 0; i < dacl->AceCount; i++) {
		if (!GetAce(dacl, i, (void **)&ace) ||
		    ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE ||
		    (ace->Header.AceFlags & INHERIT_ONLY_ACE))
			continue;
		who = (PSID)&ace->SidStart;
		if (trusted(who) || EqualSid(who, owner))
			continue;
		if ((ace->Mask & (ANCESTOR_RIGHTS | DELETE)) ||
		    (!dir && (ace->Mask & LEAF_RIGHTS)))
			*mode = (*mode & ~01000u) | 0022;
		else if (dir && (ace->Mask & LEAF_RIGHTS) && !(*mode & 0002))
			*mode |= 01777; /* may add entries, not replace them */
	}
	return 0;
}

int
pa__win_path_facts(const char *path, int dir, int64_t *uid, unsigned *mode)
{
	PSECURITY_DESCRIPTOR sd;
	int rc;

	*uid = -1;
	*mode = 0;
	if (path_sd(path, &sd) != 0)
		return -1;
	rc = pa__win_sd_facts(sd, dir, uid, mode);
	LocalFree(sd);
	return rc;
}
