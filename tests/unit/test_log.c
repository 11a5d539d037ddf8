/* Where vdpd logs: the log_target setting's words, the "auto" choice
 * (journal under systemd, stderr in the foreground, syslog only when its
 * socket exists) and the journal's "<N>" priority prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/tfile.h"
#include "vdp/base/log.h"

static void test_target_words(void **state)
{
	(void)state;
	for (int t = LOG_TO_STDERR; t <= LOG_TO_AUTO; t++)
		assert_int_equal(log_target_parse(log_target_name((enum log_target)t)), t);
	assert_int_equal(log_target_parse("journal"), LOG_TO_JOURNAL);
	assert_int_equal(log_target_parse("file"), -1);
}

static void no_systemd(void)
{
	unsetenv("JOURNAL_STREAM");
	unsetenv("INVOCATION_ID");
}

static void test_auto(void **state)
{
	char dir[] = "/tmp/vdp-logXXXXXX", sock[64], js[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	(void)state;
	no_systemd();
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/log", dir);
	/* No syslog socket: stderr, not a syslog() into nowhere. */
	assert_int_equal(log_target_auto(false, sock), LOG_TO_STDERR);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(log_target_auto(false, sock), LOG_TO_SYSLOG);
	assert_int_equal(log_target_auto(true, sock), LOG_TO_STDERR);
	/* A service that did not fork. */
	setenv("INVOCATION_ID", "0123456789abcdef0123456789abcdef", 1);
	assert_int_equal(log_target_auto(false, sock), LOG_TO_JOURNAL);
	/* ... but a foreground vdpd only when stderr is the journal's stream. */
	assert_int_equal(log_target_auto(true, sock), LOG_TO_STDERR);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	assert_int_equal(log_target_auto(true, sock), LOG_TO_JOURNAL);
	setenv("JOURNAL_STREAM", "1:2", 1);
	unsetenv("INVOCATION_ID");
	assert_int_equal(log_target_auto(true, sock), LOG_TO_STDERR);
	no_systemd();
	close(fd);
	unlink(sock);
	rmdir(dir);
}

/* "<3>cfg: text": journald takes the priority from the prefix. */
static void test_journal_prefix(void **state)
{
	char path[] = "/tmp/vdp-logXXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	size_t len;
	char *out;

	(void)state;
	assert_true(fd >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_init("vdpd", LOG_TO_JOURNAL, LOG_INFO);
	log_err("cfg", "reload refused: %s", "bad.conf:2: syntax error");
	log_notice(NULL, "started");
	log_debug(NULL, "not shown");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	log_init("test", LOG_TO_STDERR, LOG_INFO);
	out = tfile_read(path, &len);
	assert_string_equal(out, "<3>cfg: reload refused: bad.conf:2: syntax error\n<5>started\n");
	assert_int_equal(log_get_target(), LOG_TO_STDERR);
	free(out);
	close(fd);
	close(saved);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_words),
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_journal_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
