/* Resolution of an interface-id to {source dev, mode, virtualport}, the
 * libvirt XML for it (checked against libvirt's own schemas with
 * virt-xml-validate), the libvirt network export, and the VDP request. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "profiles/registry.h"
#include "profiles/resolve.h"

#define VM1 "0b3c9e2a-1111-4d4d-8e8e-000000000001"
#define VM2 "0b3c9e2a-1111-4d4d-8e8e-000000000002"
#define VM3 "0b3c9e2a-1111-4d4d-8e8e-000000000003"

static void must(int rc, struct reg_err *err)
{
	if (rc)
		fail_msg("%d: %s", rc, err->msg);
}

/* The seed question: eth4 and eth5 reach physnet "datacenter";
 * enterprise-xyz is an 802.1Qbh profile, web-qbg an 802.1Qbg one. */
static int setup(void **state)
{
	struct reg *reg = reg_new(NULL, NULL);
	struct reg_err err;
	struct reg_profile qbh = { .name = "enterprise-xyz", .type = REG_VPORT_QBH, .profileid = "enterprise-xyz" };
	struct reg_profile qbg = { .name = "web-qbg", .type = REG_VPORT_QBG, .mgrid = 11, .typeid = 1193047,
				   .typeidver = 2 };
	struct reg_uplink u4 = { .dev = "eth4", .physnet = "datacenter", .mode = REG_MODE_VEPA };
	struct reg_uplink u5 = { .dev = "eth5", .physnet = "datacenter", .mode = REG_MODE_VEPA };
	struct reg_uplink u6 = { .dev = "eth6", .physnet = "lab", .mode = REG_MODE_PRIVATE };
	struct reg_network tenant = { .name = "tenant-a", .physnet = "datacenter", .profile = "enterprise-xyz",
				      .uuid = "5a0a8c5e-3333-4f4f-afaf-000000000001" };
	struct reg_network web = { .name = "web", .physnet = "datacenter", .profile = "web-qbg", .vlan = 10 };
	struct reg_network orphan = { .name = "orphan", .physnet = "nowhere", .profile = "web-qbg" };

	must(reg_profile_add(reg, &qbh, &err), &err);
	must(reg_profile_add(reg, &qbg, &err), &err);
	must(reg_uplink_add(reg, &u4, &err), &err);
	must(reg_uplink_add(reg, &u5, &err), &err);
	must(reg_uplink_add(reg, &u6, &err), &err);
	must(reg_network_add(reg, &tenant, &err), &err);
	must(reg_network_add(reg, &web, &err), &err);
	must(reg_network_add(reg, &orphan, &err), &err);
	*state = reg;
	return 0;
}

static int teardown(void **state)
{
	reg_free(*state);
	return 0;
}

static void attach(struct reg *reg, const char *id, const char *net)
{
	struct reg_attachment a = { 0 };
	struct reg_err err;

	snprintf(a.iface_id, sizeof(a.iface_id), "%s", id);
	snprintf(a.network, sizeof(a.network), "%s", net);
	must(reg_attach(reg, &a, &err), &err);
}

static void bind_on(struct reg *reg, const char *id, const char *uplink, uint8_t last)
{
	struct reg_binding b = { .mac = { 0x52, 0x54, 0, 0, 0, last } };
	struct reg_err err;

	snprintf(b.iface_id, sizeof(b.iface_id), "%s", id);
	snprintf(b.uplink, sizeof(b.uplink), "%s", uplink);
	snprintf(b.dev, sizeof(b.dev), "macvtap%u", last);
	must(reg_bind(reg, &b, &err), &err);
}

static void test_resolve_seed_question(void **state)
{
	struct reg *reg = *state;
	struct reg_resolution r;
	struct reg_err err;

	attach(reg, VM1, "tenant-a");
	must(reg_resolve(reg, VM1, &r, &err), &err);
	/* Unbound: least-used uplink, ties by name -> eth4. */
	assert_string_equal(r.source_dev, "eth4");
	assert_string_equal(r.uplink, "eth4");
	assert_int_equal(r.mode, REG_MODE_VEPA);
	assert_int_equal(r.type, REG_VPORT_QBH);
	assert_string_equal(r.profileid, "enterprise-xyz");
	assert_false(r.bound);
	/* Once eth4 carries a VM, the next unbound interface gets eth5. */
	bind_on(reg, VM1, "eth4", 1);
	attach(reg, VM2, "tenant-a");
	must(reg_resolve(reg, VM2, &r, &err), &err);
	assert_string_equal(r.source_dev, "eth5");
	/* The bound one keeps its uplink and gets its MAC. */
	must(reg_resolve(reg, VM1, &r, &err), &err);
	assert_string_equal(r.source_dev, "eth4");
	assert_true(r.bound);
	assert_int_equal(r.mac[5], 1);
	assert_string_equal(r.dev, "macvtap1");
}

static void test_resolve_qbg_vlan_device(void **state)
{
	struct reg *reg = *state;
	struct reg_resolution r;
	struct reg_err err;
	json_t *j;

	attach(reg, VM1, "web");
	must(reg_resolve(reg, VM1, &r, &err), &err);
	assert_string_equal(r.uplink, "eth4");
	assert_string_equal(r.source_dev, "eth4.10");
	assert_int_equal(r.vlan, 10);
	assert_int_equal(r.typeid, 1193047);
	j = reg_resolution_to_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "source_dev")), "eth4.10");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "virtualport"), "instanceid")), VM1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "virtualport"), "typeid")), 1193047);
	json_decref(j);
}

static void test_resolve_errors(void **state)
{
	struct reg *reg = *state;
	struct reg_resolution r;
	struct reg_err err;

	assert_int_equal(reg_resolve(reg, "nope", &r, &err), -EINVAL);
	assert_int_equal(reg_resolve(reg, VM3, &r, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "not attached"));
	attach(reg, VM3, "orphan");
	assert_int_equal(reg_resolve(reg, VM3, &r, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "no host uplink reaches physical network 'nowhere'"));
}

static xmlXPathObjectPtr xpath(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);

	xmlXPathFreeContext(ctx);
	return o;
}

static void assert_xpath_str(xmlDocPtr doc, const char *expr, const char *want)
{
	xmlXPathObjectPtr o = xpath(doc, expr);

	assert_non_null(o);
	if (o->type != XPATH_STRING || strcmp((const char *)o->stringval, want))
		fail_msg("%s = '%s', want '%s'", expr, o->stringval ? (const char *)o->stringval : "(none)", want);
	xmlXPathFreeObject(o);
}

/* libvirt's own schemas: the domain one for an <interface> (interface.rng
 * describes host interfaces, not a domain's NIC), network.rng for a
 * network.  Skipped where libvirt-clients is missing. */
static int validate(const char *xml, const char *schema, bool wrap_domain)
{
	char path[] = "/tmp/vdpd-xml-XXXXXX", cmd[256];
	int fd = mkstemp(path), rc;
	FILE *fp;

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	if (wrap_domain)
		fprintf(fp, "<domain type='kvm'><name>vdpd-check</name><memory>65536</memory>"
			    "<os><type>hvm</type></os><devices>\n%s</devices></domain>\n", xml);
	else
		fputs(xml, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "virt-xml-validate %s %s >/dev/null 2>&1", path, schema);
	rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof(cmd), "virt-xml-validate %s %s; cat %s", path, schema, path);
		(void)system(cmd);
	}
	unlink(path);
	return rc;
}

static bool have_validator(void)
{
	return system("command -v virt-xml-validate >/dev/null 2>&1") == 0;
}

static void test_interface_xml_qbg(void **state)
{
	struct reg *reg = *state;
	struct reg_resolution r;
	struct reg_err err;
	char *xml;
	xmlDocPtr doc;

	attach(reg, VM1, "web");
	bind_on(reg, VM1, "eth5", 7);
	must(reg_resolve(reg, VM1, &r, &err), &err);
	xml = reg_resolution_xml(&r);
	assert_non_null(xml);
	assert_null(strstr(xml, "<?xml"));
	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	assert_xpath_str(doc, "string(/interface/@type)", "direct");
	assert_xpath_str(doc, "string(/interface/mac/@address)", "52:54:00:00:00:07");
	assert_xpath_str(doc, "string(/interface/source/@dev)", "eth5.10");
	assert_xpath_str(doc, "string(/interface/source/@mode)", "vepa");
	assert_xpath_str(doc, "string(/interface/virtualport/@type)", "802.1Qbg");
	assert_xpath_str(doc, "string(/interface/virtualport/parameters/@managerid)", "11");
	assert_xpath_str(doc, "string(/interface/virtualport/parameters/@typeid)", "1193047");
	assert_xpath_str(doc, "string(/interface/virtualport/parameters/@typeidversion)", "2");
	assert_xpath_str(doc, "string(/interface/virtualport/parameters/@instanceid)", VM1);
	/* Exactly one <parameters>: libvirt reads only the first (ref. C.1). */
	assert_xpath_str(doc, "string(count(/interface/virtualport/parameters))", "1");
	xmlFreeDoc(doc);
	if (have_validator())
		assert_int_equal(validate(xml, "domain", true), 0);
	free(xml);
}

static void test_interface_xml_qbh(void **state)
{
	struct reg *reg = *state;
	struct reg_resolution r;
	struct reg_err err;
	char *xml;
	xmlDocPtr doc;

	attach(reg, VM2, "tenant-a");
	must(reg_resolve(reg, VM2, &r, &err), &err);
	xml = reg_resolution_xml(&r);
	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	assert_xpath_str(doc, "string(/interface/source/@dev)", "eth4");
	assert_xpath_str(doc, "string(/interface/virtualport/@type)", "802.1Qbh");
	assert_xpath_str(doc, "string(/interface/virtualport/parameters/@profileid)", "enterprise-xyz");
	assert_xpath_str(doc, "string(count(/interface/virtualport/parameters/@instanceid))", "0");
	assert_xpath_str(doc, "string(count(/interface/mac))", "0");
	xmlFreeDoc(doc);
	if (have_validator())
		assert_int_equal(validate(xml, "domain", true), 0);
	free(xml);
}

static void test_export_network(void **state)
{
	struct reg *reg = *state;
	struct reg_err err;
	char *xml = reg_export_libvirt_network(reg, "web", &err);
	xmlDocPtr doc;

	if (!xml)
		fail_msg("%s", err.msg);
	doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	assert_xpath_str(doc, "string(/network/name)", "web");
	assert_xpath_str(doc, "string(/network/forward/@mode)", "vepa");
	assert_xpath_str(doc, "string(count(/network/forward/interface))", "2");
	assert_xpath_str(doc, "string(/network/forward/interface[1]/@dev)", "eth4");
	assert_xpath_str(doc, "string(/network/forward/interface[2]/@dev)", "eth5");
	/* One portgroup per profile on the physical network; web's is default. */
	assert_xpath_str(doc, "string(count(/network/portgroup))", "2");
	assert_xpath_str(doc, "string(/network/portgroup[@default='yes']/@name)", "web-qbg");
	assert_xpath_str(doc, "string(/network/portgroup[@name='web-qbg']/virtualport/parameters/@typeid)",
			 "1193047");
	assert_xpath_str(doc, "string(/network/portgroup[@name='enterprise-xyz']/virtualport/parameters/@profileid)",
			 "enterprise-xyz");
	xmlFreeDoc(doc);
	if (have_validator())
		assert_int_equal(validate(xml, "network", false), 0);
	free(xml);

	/* By physical network name; and the errors. */
	xml = reg_export_libvirt_network(reg, "lab", &err);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "<forward mode=\"private\">"));
	assert_null(strstr(xml, "portgroup"));
	if (have_validator())
		assert_int_equal(validate(xml, "network", false), 0);
	free(xml);
	assert_null(reg_export_libvirt_network(reg, "orphan", &err));
	assert_non_null(strstr(err.msg, "no host uplink"));
	assert_null(reg_export_libvirt_network(reg, "nothing", &err));
	assert_non_null(strstr(err.msg, "neither a network"));
}

static void test_export_mixed_modes_refused(void **state)
{
	struct reg *reg = *state;
	struct reg_uplink u = { .dev = "eth7", .physnet = "lab", .mode = REG_MODE_PASSTHROUGH };
	struct reg_err err;

	must(reg_uplink_add(reg, &u, &err), &err);
	assert_null(reg_export_libvirt_network(reg, "lab", &err));
	assert_non_null(strstr(err.msg, "differ in mode"));
}

static void test_vsi_to_request(void **state)
{
	struct reg *reg = *state;
	const struct reg_vsi *v;
	struct vdp_request req;
	struct vdp_filter f;
	uint8_t u[16];

	attach(reg, VM1, "web");
	bind_on(reg, VM1, "eth4", 9);
	v = reg_vsi_get(reg, VM1);
	assert_non_null(v);
	assert_int_equal(reg_vsi_to_request(v, VDP_MODE_ASSOC, &req, &f), 0);
	assert_int_equal(req.mode, VDP_MODE_ASSOC);
	assert_int_equal(req.mgrid[0], 11);
	assert_int_equal(req.mgrid[1], 0);
	assert_int_equal(req.type_id, 1193047);
	assert_int_equal(req.type_version, 2);
	assert_int_equal(req.vsiid_fmt, VDP_VSIID_UUID);
	reg_uuid_parse(VM1, u);
	assert_memory_equal(req.vsiid, u, 16);
	assert_int_equal(req.filter_fmt, VDP_FILTER_MAC_VID);
	assert_int_equal(req.n_filters, 1);
	assert_int_equal(req.filters[0].mac[5], 9);
	assert_int_equal(vdp_vid(req.filters[0].ps_pcp_vid), 10);
	/* 802.1Qbh VSIs are not VDP requests. */
	attach(reg, VM2, "tenant-a");
	bind_on(reg, VM2, "eth4", 10);
	assert_int_equal(reg_vsi_to_request(reg_vsi_get(reg, VM2), VDP_MODE_ASSOC, &req, &f), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve_seed_question, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_qbg_vlan_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interface_xml_qbg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interface_xml_qbh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_mixed_modes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsi_to_request, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
