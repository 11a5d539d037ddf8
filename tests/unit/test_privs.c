/* vdp/io/privs.c: what a process keeps after privs_drop (CapEff, CapPrm,
 * CapBnd read back from /proc/self/status), the user switch, and the
 * message privs_check gives without the capabilities.  Each case runs in
 * a forked child, since dropping capabilities cannot be undone; they need
 * root and are skipped otherwise. */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <cap-ng.h>

#include "vdp/io/privs.h"

#define KEPT 0x3000ull /* CAP_NET_ADMIN (12) | CAP_NET_RAW (13) */

static unsigned long long cap_line(const char *name)
{
	char line[256];
	unsigned long long v = ~0ull;
	FILE *fp = fopen("/proc/self/status", "r");

	while (fp && fgets(line, sizeof(line), fp))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ':')
			v = strtoull(line + strlen(name) + 1, NULL, 16);
	if (fp)
		fclose(fp);
	return v;
}

/* Runs fn in a child; its exit status is the number of the first failed
 * check (0: all passed). */
static int in_child(int (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

static int drop_keeps_two(void)
{
	char err[256];

	if (privs_check("t", err, sizeof(err)) != 0)
		return 1;
	if (privs_drop(NULL, err, sizeof(err)) != 0)
		return 2;
	if (cap_line("CapEff") != KEPT)
		return 3;
	if (cap_line("CapPrm") != KEPT)
		return 4;
	if (cap_line("CapBnd") != KEPT)
		return 5;
	if (getuid() != 0)
		return 6;
	/* Still enough: the check passes after the drop. */
	if (privs_check("t", err, sizeof(err)) != 0)
		return 7;
	return 0;
}

static void test_drop_keeps_two(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(in_child(drop_keeps_two), 0);
}

static int drop_to_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");
	char err[256];

	if (!pw)
		return 0;
	if (privs_drop("nobody", err, sizeof(err)) != 0)
		return 1;
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != pw->pw_gid)
		return 2;
	if (getgroups(0, NULL) != 0)
		return 3;
	if (cap_line("CapEff") != KEPT)
		return 4;
	return 0;
}

static void test_drop_to_user(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(in_child(drop_to_nobody), 0);
}

static int unknown_user(void)
{
	char err[256];

	if (privs_drop("no-such-user-vdpd-test", err, sizeof(err)) >= 0)
		return 1;
	return strstr(err, "no-such-user-vdpd-test") ? 0 : 2;
}

static void test_unknown_user(void **state)
{
	(void)state;
	need_root();
	assert_int_equal(in_child(unknown_user), 0);
}

static const char *want_msg;
static bool drop_admin;

/* Drops CAP_NET_RAW (and CAP_NET_ADMIN when drop_admin), then checks. */
static int check_without(void)
{
	char err[512];

	capng_get_caps_process();
	capng_updatev(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_RAW, -1);
	if (drop_admin)
		capng_updatev(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN, -1);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0)
		return 1;
	if (privs_check("vdpd", err, sizeof(err)) != -EPERM)
		return 2;
	return strncmp(err, want_msg, strlen(want_msg)) ? 3 : 0;
}

static void test_check_names_missing(void **state)
{
	(void)state;
	need_root();
	drop_admin = true;
	want_msg = "vdpd: missing capabilities CAP_NET_RAW and CAP_NET_ADMIN: needed";
	assert_int_equal(in_child(check_without), 0);
	drop_admin = false;
	want_msg = "vdpd: missing capability CAP_NET_RAW: needed";
	assert_int_equal(in_child(check_without), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_keeps_two),
		cmocka_unit_test(test_drop_to_user),
		cmocka_unit_test(test_unknown_user),
		cmocka_unit_test(test_check_names_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
