/* vdp-bridge's control commands (tools/vdp-bridge/bctl.c) on a bridge in
 * process with seven associated VSIs (fixture: vbr_fx.h): exact request
 * bytes on a fresh connection, exact reply text (VSI ages, which the real
 * clock makes vary, taken out), for the argument decoding the fuzz target
 * fuzz_bctl feeds at random: vsi.show paging (after, offset, limit),
 * vsi.deassoc, fault.set, config.reload and the framing errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/unit/vbr_fx.h"

static struct vbr_fx fx;

static int setup(void **state)
{
	(void)state;
	log_init("test_bctl", LOG_TO_STDERR, LOG_CRIT);
	return vbr_fx_init(&fx, "test_bctl");
}

static int teardown(void **state)
{
	(void)state;
	vbr_fx_free(&fx);
	return 0;
}

/* Before each case: faults off, every VSI there. */
static int reset(void **state)
{
	(void)state;
	return vbr_fx_reset(&fx) ? 0 : -1;
}

static void strip_ages(json_t *j)
{
	size_t i;
	json_t *v;
	const char *k;

	if (json_is_array(j)) {
		json_array_foreach (j, i, v)
			strip_ages(v);
	} else if (json_is_object(j)) {
		json_object_del(j, "age_ms");
		json_object_del(j, "last_keepalive_age_ms");
		json_object_foreach (j, k, v)
			strip_ages(v);
	}
}

/* Writes req as-is to a fresh connection, closes the sending side, runs
 * the bridge until it hangs up; returns the reply frames' JSON, one a line,
 * ages taken out (caller frees). */
static char *call(const void *req, size_t len)
{
	static uint8_t buf[1 << 20];
	size_t got = 0, out_len = 0;
	char *out = calloc(1, sizeof(buf));
	struct ctl_server_stats st;
	int sv[2];
	bool eof = false;

	assert_non_null(out);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ctl_server_adopt(fx.b.ctl, sv[0]), 0);
	assert_int_equal(send(sv[1], req, len, MSG_NOSIGNAL), (ssize_t)len);
	shutdown(sv[1], SHUT_WR);
	for (int rounds = 0; !eof; rounds++) {
		assert_true(rounds < 100000);
		event_base_loop(fx.b.base, EVLOOP_NONBLOCK);
		ssize_t r = recv(sv[1], buf + got, sizeof(buf) - got, MSG_DONTWAIT);
		if (r > 0)
			got += (size_t)r;
		eof = r == 0;
	}
	close(sv[1]);
	ctl_server_get_stats(fx.b.ctl, &st);
	assert_int_equal(st.clients, 0);
	for (size_t p = 0; p < got;) {
		size_t n = (size_t)buf[p] << 24 | (size_t)buf[p + 1] << 16 |
			(size_t)buf[p + 2] << 8 | buf[p + 3];
		json_t *j;
		char *s;

		assert_true(p + 4 + n <= got);
		j = json_loadb((const char *)buf + p + 4, n, 0, NULL);
		assert_non_null(j);
		strip_ages(j);
		s = json_dumps(j, JSON_COMPACT);
		out_len += (size_t)snprintf(out + out_len, sizeof(buf) - out_len, "%s\n", s);
		free(s);
		json_decref(j);
		p += 4 + n;
	}
	return out;
}

#define CALL_EQ(req, want) \
	do { \
		char *got_ = call(req, sizeof(req) - 1); \
		assert_string_equal(got_, want); \
		free(got_); \
	} while (0)

#define VSI(port, fmt, id, mac, vid, pcp, ps, type) \
	"{\"port\":\"" port "\",\"vsiid_format\":\"" fmt "\",\"vsiid\":\"" id \
	"\",\"state\":\"WAITCMD\"," \
	"\"mode\":\"assoc\",\"mgrid\":\"0\",\"type_id\":" type ",\"type_version\":1," \
	"\"filter_format\":\"mac-vid\",\"filters\":[{\"mac\":\"" mac "\",\"vid\":" vid \
	",\"pcp\":" pcp ",\"ps\":" ps ",\"group\":null}],\"keepalives\":0}"
#define U(n) "00000000-0000-0000-0000-00000000000" n
#define P1_VSIS \
	VSI("p1", "uuid", U("5"), "52:00:00:00:00:05", "12", "0", "false", "20") \
	"," VSI("p1", "uuid", U("7"), "52:00:00:00:00:07", "101", "3", "true", "10") "," VSI( \
		"p1", "mac", "52:00:00:00:00:06", "52:00:00:00:00:06", "12", "0", "false", "20")

/* Unpaged: every VSI of the port, sorted by VSIID text (the MAC-format
 * "52:..." after the UUIDs "00..."); type 10 answered with PS 1 and PCP 3. */
static void test_show_port_sorted(void **state)
{
	(void)state;
	CALL_EQ("\x00\x00\x00\x33{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"port\":\"p1\"}}",
		"{\"version\":1,\"ok\":true,\"result\":[" P1_VSIS "]}\n");
}

/* Pages of one, each after the last: all seven once, then an empty page. */
static void test_show_after_walks_all(void **state)
{
	char req[512], seen[8] = { 0 };
	json_t *last = NULL;

	(void)state;
	for (int page = 0; page < 9; page++) {
		char *args = last ? json_dumps(last, JSON_COMPACT) : strdup("null");
		int n = snprintf(
			req + 4, sizeof(req) - 4,
			"{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"limit\":1,\"after\":%s}}",
			args);
		char *rep;
		json_t *j, *res;

		free(args);
		if (!last) /* the first page: no after */
			n = snprintf(req + 4, sizeof(req) - 4,
				     "{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"limit\":1}}");
		req[0] = req[1] = 0;
		req[2] = (char)(n >> 8);
		req[3] = (char)n;
		rep = call(req, (size_t)n + 4);
		j = json_loads(rep, 0, NULL);
		free(rep);
		assert_true(json_is_true(json_object_get(j, "ok")));
		res = json_object_get(j, "result");
		json_decref(last);
		last = NULL;
		if (page == 7) {
			assert_int_equal(json_array_size(res), 0);
			json_decref(j);
			break;
		}
		assert_int_equal(json_array_size(res), 1);
		last = json_incref(json_array_get(res, 0));
		const char *id = json_string_value(json_object_get(last, "vsiid"));
		int k = id[strlen(id) - 1] - '1';
		assert_true(k >= 0 && k < 7);
		assert_int_equal(seen[k], 0);
		seen[k] = 1;
		json_decref(j);
	}
	assert_null(last);
}

static void test_show_bad_args(void **state)
{
	(void)state;
	CALL_EQ("\x00\x00\x00\x49{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"after\":{\"port\":"
		"\"zz\",\"vsiid\":\"x\"}}}"
		"\x00\x00\x00\x3f{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"after\":\"p0\","
		"\"offset\":1}}"
		"\x00\x00\x00\x52{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"after\":{\"port\":"
		"\"p0\",\"vsiid\":\"not-a-uuid\"}}}"
		"\x00\x00\x00\x33{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"offset\":-1}}"
		"\x00\x00\x00\x3a{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"limit\":"
		"4294967296}}"
		"\x00\x00\x00\x33{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"port\":\"p9\"}}",
		"{\"version\":1,\"ok\":false,\"error\":\"after: no such port zz\",\"errno\":19}\n"
		"{\"version\":1,\"ok\":false,\"error\":\"after must be an object {port, "
		"vsiid_format, vsiid}\",\"errno\":22}\n"
		"{\"version\":1,\"ok\":false,\"error\":\"after: vsiid: not a uuid\",\"errno\":22}\n"
		"{\"version\":1,\"ok\":false,\"error\":\"offset must be a number "
		"0..4294967295\",\"errno\":22}\n"
		"{\"version\":1,\"ok\":false,\"error\":\"limit must be a number "
		"0..4294967295\",\"errno\":22}\n"
		"{\"version\":1,\"ok\":false,\"error\":\"no such port\",\"errno\":19}\n");
}

/* A MAC-format VSIID, on its port: de-associated; on the other port: not
 * found; the port's list no longer has it. */
static void test_deassoc(void **state)
{
	(void)state;
	CALL_EQ("\x00\x00\x00\x67{\"version\":1,\"cmd\":\"vsi.deassoc\",\"args\":{\"vsiid\":\"52:"
		"00:00:00:00:06\","
		"\"vsiid_format\":\"mac\",\"port\":\"p0\"}}"
		"\x00\x00\x00\x67{\"version\":1,\"cmd\":\"vsi.deassoc\",\"args\":{\"vsiid\":\"52:"
		"00:00:00:00:06\","
		"\"vsiid_format\":\"mac\",\"port\":\"p1\"}}"
		"\x00\x00\x00\x49{\"version\":1,\"cmd\":\"vsi.deassoc\",\"args\":{\"vsiid\":\"1\","
		"\"vsiid_format\":\"x\"}}"
		"\x00\x00\x00\x33{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{\"port\":\"p1\"}}",
		"{\"version\":1,\"ok\":false,\"error\":\"no associated VSI "
		"52:00:00:00:00:06\",\"errno\":2}\n"
		"{\"version\":1,\"ok\":true,\"result\":{\"deassociated\":1}}\n"
		"{\"version\":1,\"ok\":false,\"error\":\"vsiid_format: one of ipv4, ipv6, mac, "
		"local, uuid\",\"errno\":22}\n"
		"{\"version\":1,\"ok\":true,\"result\":[" VSI(
			"p1", "uuid", U("5"), "52:00:00:00:00:05", "12", "0", "false",
			"20") "," VSI("p1", "uuid", U("7"), "52:00:00:00:00:07", "101", "3", "true",
				      "10") "]}\n");
	assert_int_equal(fx.b.cnt.tx_unsolicited, 1);
}

/* A refused fault.set changes nothing; reseed is not a setting. */
static void test_fault_set(void **state)
{
	(void)state;
	CALL_EQ("\x00\x00\x00\x3a{\"version\":1,\"cmd\":\"fault.set\",\"args\":{\"rx\":{\"drop\":"
		"101}}}",
		"{\"version\":1,\"ok\":false,\"error\":\"rx.drop: 101 is not a percentage "
		"(0..100)\",\"errno\":22}\n");
	assert_false(fault_active(&fx.b.fault.cfg));
	CALL_EQ("\x00\x00\x00\x47{\"version\":1,\"cmd\":\"fault.set\",\"args\":{\"tx\":{\"drop\":"
		"10},\"reseed\":true}}",
		"{\"version\":1,\"ok\":true,\"result\":{\"active\":true,\"config\":{\"seed\":7,"
		"\"rx\":{\"drop\":0.0,\"dup\":0.0,\"reorder\":0.0,\"delay_ms\":0},"
		"\"tx\":{\"drop\":10.0,\"dup\":0.0,\"reorder\":0.0,\"delay_ms\":0},"
		"\"noack\":false,\"lldp\":false,\"reorder_hold_ms\":50,\"rules\":[]},"
		"\"counters\":{\"rx\":{\"seen\":0,\"dropped\":0,\"duplicated\":0,\"delayed\":0,"
		"\"reordered\":0,"
		"\"acks_dropped\":0},\"tx\":{\"seen\":0,\"dropped\":0,\"duplicated\":0,\"delayed\":"
		"0,"
		"\"reordered\":0,\"acks_dropped\":0},\"rule_hits\":0}}}\n");
	assert_true(fault_active(&fx.b.fault.cfg));
}

/* The same file again: applied, no VSI dropped. */
static void test_reload(void **state)
{
	(void)state;
	CALL_EQ("\x00\x00\x00\x23{\"version\":1,\"cmd\":\"config.reload\"}",
		"{\"version\":1,\"ok\":true,\"result\":{\"reloads\":1,\"vsis_dropped\":0}}\n");
	assert_int_equal(vbr_fx_count(&fx), VBR_FX_NVSIS);
}

/* An empty frame is answered with an error and the connection goes on:
 * the request behind it is read and answered. */
static void test_empty_frame(void **state)
{
	(void)state;
	CALL_EQ("\x00\x00\x00\x00\x00\x00\x00\x33{\"version\":1,\"cmd\":\"vsi.show\",\"args\":{"
		"\"port\":\"p9\"}}",
		"{\"version\":1,\"ok\":false,\"error\":\"empty message (length 0)\",\"errno\":74}\n"
		"{\"version\":1,\"ok\":false,\"error\":\"no such port\",\"errno\":19}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_show_port_sorted, reset),
		cmocka_unit_test_setup(test_show_after_walks_all, reset),
		cmocka_unit_test_setup(test_show_bad_args, reset),
		cmocka_unit_test_setup(test_deassoc, reset),
		cmocka_unit_test_setup(test_fault_set, reset),
		cmocka_unit_test_setup(test_reload, reset),
		cmocka_unit_test_setup(test_empty_frame, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
