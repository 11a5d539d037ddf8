/* tests/unit/enic_model.c on its own: it must refuse what rtnetlink and
 * enic refuse (lengths, REQUEST, PREASSOCIATE, PORT_SELF of a static vNIC,
 * VF indexes, IFLA_VF_MAC with vf -1), zero the MAC on a PORT_SELF
 * DISASSOCIATE and pick a random one for an ASSOCIATE on a zero MAC, take
 * IFLA_ADDRESS as enic's dynamic vNIC does, and answer GETLINK as the
 * kernel does (INPROGRESS, then SUCCESS; one entry per VF).  Messages are
 * built by hand here, not by the backend under test. */
#include "vdp/wire/nl_parse.h"
#include "tests/unit/qbh_env.h"

struct mb {
	uint8_t b[1024];
	size_t len;
};

static void mb_init(struct mb *m, uint16_t type, int ifindex)
{
	memset(m, 0, sizeof(*m));
	m->b[4] = (uint8_t)type;
	m->b[6] = NLM_F_REQUEST | NLM_F_ACK;
	m->b[8] = 7; /* seq */
	memcpy(m->b + 20, &ifindex, 4);
	m->len = 32;
}

static void mb_attr(struct mb *m, uint16_t type, const void *d, size_t n)
{
	uint16_t l = (uint16_t)(4 + n);
	memcpy(m->b + m->len, &l, 2);
	memcpy(m->b + m->len + 2, &type, 2);
	if (n)
		memcpy(m->b + m->len + 4, d, n);
	m->len += (4 + n + 3) & ~(size_t)3;
}

static size_t mb_nest(struct mb *m, uint16_t type)
{
	size_t at = m->len;
	mb_attr(m, type, NULL, 0);
	return at;
}

static void mb_end(struct mb *m, size_t at)
{
	uint16_t l = (uint16_t)(m->len - at);
	memcpy(m->b + at, &l, 2);
}

/* The port attributes of an ASSOCIATE, with the profile plen octets. */
static void mb_port(struct mb *m, size_t plen, bool with_request, uint8_t request)
{
	char name[48] = "finance";
	mb_attr(m, IFLA_PORT_PROFILE, name, plen);
	mb_attr(m, IFLA_PORT_INSTANCE_UUID, inst, 16);
	if (with_request)
		mb_attr(m, IFLA_PORT_REQUEST, &request, 1);
}

static int mb_send(struct enic_model *em, struct mb *m)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint32_t len = (uint32_t)m->len;
	struct nlp_status_reply r;

	memcpy(m->b, &len, 4);
	int fd = enic_model_ops.open(em);
	assert_int_equal(enic_model_ops.send(em, fd, m->b, m->len), 0);
	ssize_t n = enic_model_ops.recv(em, fd, &buf, &cap);
	assert_true(n > 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(nlp_parse_reply(buf, (size_t)n, &r), NLP_OK);
	assert_int_equal(r.type, NLMSG_ERROR);
	enic_model_ops.close(em, fd);
	free(buf);
	return r.error;
}

static int self_request(struct enic_model *em, int ifindex, size_t plen, uint16_t nest_flag,
			bool req, uint8_t op)
{
	struct mb m;
	mb_init(&m, RTM_SETLINK, ifindex);
	size_t p = mb_nest(&m, IFLA_PORT_SELF | nest_flag);
	mb_port(&m, plen, req, op);
	mb_end(&m, p);
	return mb_send(em, &m);
}

static int vf_request(struct enic_model *em, int ifindex, bool with_vf, uint32_t vf)
{
	struct mb m;
	mb_init(&m, RTM_SETLINK, ifindex);
	size_t ps = mb_nest(&m, IFLA_VF_PORTS | NLA_F_NESTED);
	size_t p = mb_nest(&m, IFLA_VF_PORT | NLA_F_NESTED);
	if (with_vf)
		mb_attr(&m, IFLA_PORT_VF, &vf, 4);
	mb_port(&m, 40, true, PORT_REQUEST_ASSOCIATE);
	mb_end(&m, p);
	mb_end(&m, ps);
	return mb_send(em, &m);
}

static void test_model_enforces_kernel_and_enic(void **state)
{
	(void)state;
	struct enic_model em;
	struct enic_dev *eth4;
	uint8_t mac0[6];

	model_init(&em);
	eth4 = enic_model_dev(&em, "eth4");
	memcpy(mac0, eth4->mac, 6);
	/* exact lengths; nests with or without NLA_F_NESTED */
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE), 0);
	assert_int_equal(self_request(&em, 14, 40, 0, true, PORT_REQUEST_ASSOCIATE), 0);
	assert_int_equal(eth4->self.requests, 2);
	/* libvirt's strlen+1: enic -EINVAL; over 40: the policy */
	assert_int_equal(self_request(&em, 14, 8, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -EINVAL);
	assert_int_equal(self_request(&em, 14, 41, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -ERANGE);
	assert_int_equal(eth4->self.requests, 2); /* refused ones left it as it was */
	/* REQUEST missing; PREASSOCIATE */
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, false, 0), -EOPNOTSUPP);
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_PREASSOCIATE),
			 -EOPNOTSUPP);
	/* PORT_SELF only on a dynamic vNIC; no port ops at all */
	assert_int_equal(self_request(&em, 15, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -EOPNOTSUPP);
	assert_int_equal(self_request(&em, 20, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -EOPNOTSUPP);
	assert_int_equal(self_request(&em, 30, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE),
			 -EOPNOTSUPP);
	/* VF index below num_vfs; IFLA_PORT_VF required; no SR-IOV */
	assert_int_equal(vf_request(&em, 20, true, 99), 0);
	assert_int_equal(vf_request(&em, 20, true, N_VFS), -EINVAL);
	assert_int_equal(vf_request(&em, 20, false, 0), -EOPNOTSUPP);
	assert_int_equal(vf_request(&em, 15, true, 0), -EOPNOTSUPP);
	assert_int_equal(vf_request(&em, 14, true, 0), -EOPNOTSUPP);

	/* IFLA_VF_MAC with vf = PORT_SELF_VF (libvirt's PORT_SELF request) */
	struct mb m;
	struct ifla_vf_mac vm = { .vf = 0xffffffffu, .mac = { 0x52, 0x54, 0, 0, 0, 1 } };
	mb_init(&m, RTM_SETLINK, 14);
	size_t l = mb_nest(&m, IFLA_VFINFO_LIST | NLA_F_NESTED);
	size_t i = mb_nest(&m, IFLA_VF_INFO | NLA_F_NESTED);
	mb_attr(&m, IFLA_VF_MAC, &vm, sizeof(vm));
	mb_end(&m, i);
	mb_end(&m, l);
	size_t p = mb_nest(&m, IFLA_PORT_SELF | NLA_F_NESTED);
	mb_port(&m, 40, true, PORT_REQUEST_ASSOCIATE);
	mb_end(&m, p);
	assert_int_equal(mb_send(&em, &m), -EINVAL);
	assert_true(em.last_had_vf_mac);
	assert_int_equal(eth4->self.requests, 2);

	/* DISASSOCIATE zeroes PORT_SELF's MAC; the next ASSOCIATE registers
	 * a random one */
	assert_memory_equal(eth4->mac, mac0, 6);
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_DISASSOCIATE),
			 0);
	static const uint8_t zero[6];
	assert_memory_equal(eth4->mac, zero, 6);
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE), 0);
	assert_memory_not_equal(eth4->mac, zero, 6);
	assert_memory_not_equal(eth4->mac, mac0, 6);
	assert_int_equal(em.zero_mac_assocs, 1);
	enic_model_fini(&em);
}

static int addr_request(struct enic_model *em, int ifindex, const uint8_t *mac, size_t n,
			bool with_port)
{
	struct mb m;
	mb_init(&m, RTM_SETLINK, ifindex);
	mb_attr(&m, IFLA_ADDRESS, mac, n);
	if (with_port) {
		size_t p = mb_nest(&m, IFLA_PORT_SELF | NLA_F_NESTED);
		mb_port(&m, 40, true, PORT_REQUEST_ASSOCIATE);
		mb_end(&m, p);
	}
	return mb_send(em, &m);
}

/* IFLA_ADDRESS: a dynamic vNIC takes a unicast or zero MAC while up, a
 * static one no zero MAC; multicast and short ones are refused; the
 * address comes before the port in the same message, so an ASSOCIATE
 * there registers it instead of a random one. */
static void test_model_sets_address(void **state)
{
	(void)state;
	static const uint8_t zero[6], mc[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	static const uint8_t mac[6] = { 0x00, 0x25, 0xb5, 0, 0, 0x42 };
	struct enic_model em;

	model_init(&em);
	struct enic_dev *eth4 = enic_model_dev(&em, "eth4"), *eth5 = enic_model_dev(&em, "eth5");
	assert_int_equal(addr_request(&em, 14, mac, 6, false), 0);
	assert_memory_equal(eth4->mac, mac, 6);
	assert_int_equal(addr_request(&em, 14, zero, 6, false), 0);
	assert_memory_equal(eth4->mac, zero, 6);
	assert_int_equal(addr_request(&em, 15, zero, 6, false), -EADDRNOTAVAIL);
	assert_memory_not_equal(eth5->mac, zero, 6);
	assert_int_equal(addr_request(&em, 14, mc, 6, false), -EADDRNOTAVAIL);
	assert_int_equal(addr_request(&em, 14, mac, 4, false), -EINVAL);
	assert_memory_equal(eth4->mac, zero, 6);
	em.addr_errno = -EBUSY;
	assert_int_equal(addr_request(&em, 14, mac, 6, true), -EBUSY);
	assert_int_equal(eth4->self.requests, 0); /* the port never reached */
	em.addr_errno = 0;
	assert_int_equal(addr_request(&em, 14, mac, 6, true), 0);
	assert_memory_equal(eth4->self.mac, mac, 6);
	assert_int_equal(em.zero_mac_assocs, 0);
	assert_int_equal(em.setaddrs, 7);
	enic_model_fini(&em);
}

/* GETLINK with RTEXT_FILTER_VF: INPROGRESS twice, then SUCCESS; a PF
 * answers with one entry per VF that had a request: here 100. */
static void test_model_status_replies(void **state)
{
	(void)state;
	struct enic_model em;
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct mb m;

	model_init(&em);
	for (int vf = 0; vf < N_VFS; vf++)
		enic_model_preset(enic_model_dev(&em, "enp1s0"), vf, "other", host,
				  PORT_REQUEST_ASSOCIATE, QBH_RESP_SUCCESS);
	assert_int_equal(self_request(&em, 14, 40, NLA_F_NESTED, true, PORT_REQUEST_ASSOCIATE), 0);
	uint16_t want[] = { QBH_RESP_INPROGRESS, QBH_RESP_INPROGRESS, QBH_RESP_SUCCESS,
			    QBH_RESP_SUCCESS };
	for (size_t k = 0; k < 4; k++) {
		struct nlp_status_reply r;
		uint32_t mask = RTEXT_FILTER_VF;
		mb_init(&m, RTM_GETLINK, 14);
		mb_attr(&m, IFLA_EXT_MASK, &mask, 4);
		memcpy(m.b, &(uint32_t){ (uint32_t)m.len }, 4);
		int fd = enic_model_ops.open(&em);
		assert_int_equal(enic_model_ops.send(&em, fd, m.b, m.len), 0);
		ssize_t n = enic_model_ops.recv(&em, fd, &buf, &cap);
		memset(&r, 0, sizeof(r));
		assert_int_equal(nlp_parse_reply(buf, (size_t)n, &r), NLP_OK);
		assert_true(r.has_port_self);
		assert_int_equal(r.self.response, want[k]);
		assert_int_equal(r.self.request, PORT_REQUEST_ASSOCIATE);
		enic_model_ops.close(&em, fd);
	}
	struct nlp_status_reply r;
	uint32_t mask = RTEXT_FILTER_VF;
	mb_init(&m, RTM_GETLINK, 20);
	mb_attr(&m, IFLA_EXT_MASK, &mask, 4);
	memcpy(m.b, &(uint32_t){ (uint32_t)m.len }, 4);
	int fd = enic_model_ops.open(&em);
	assert_int_equal(enic_model_ops.send(&em, fd, m.b, m.len), 0);
	ssize_t n = enic_model_ops.recv(&em, fd, &buf, &cap);
	memset(&r, 0, sizeof(r));
	assert_int_equal(nlp_parse_reply(buf, (size_t)n, &r), NLP_OK);
	assert_false(r.has_port_self); /* a static PF: the nest is dropped */
	assert_true(r.has_vf_ports);
	assert_int_equal(r.n, N_VFS);
	enic_model_ops.close(&em, fd);
	free(buf);
	enic_model_fini(&em);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_enforces_kernel_and_enic),
		cmocka_unit_test(test_model_sets_address),
		cmocka_unit_test(test_model_status_replies),
	};
	return cmocka_run_group_tests(tests, qbh_env_setup, qbh_env_teardown);
}
