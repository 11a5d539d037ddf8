/* libvirt hook input (XML as libvirt 9.0 passes it, reference A.5) ->
 * edge bindings, including the failure path that must abort the start. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profiles/hook.h"
#include "profiles/registry.h"

/* networkport as formatted by virNetworkPortDefFormatBuf (observed
 * port-created stdin, with the elided UUIDs filled in). */
static const char port_created[] =
	"<hookData>\n"
	"  <network connections='1'>\n"
	"    <name>qbgnet</name>\n"
	"    <uuid>3c1d5b1e-8f4b-4c2a-9d7e-6a5b4c3d2e1f</uuid>\n"
	"    <forward dev='bqbg0' mode='vepa'>\n"
	"      <interface dev='bqbg0' connections='1'/>\n"
	"    </forward>\n"
	"    <virtualport type='802.1Qbg'>\n"
	"      <parameters managerid='11' typeidversion='2'/>\n"
	"    </virtualport>\n"
	"    <portgroup name='engineering' default='yes'>\n"
	"      <virtualport>\n"
	"        <parameters typeid='1193047'/>\n"
	"      </virtualport>\n"
	"    </portgroup>\n"
	"    <portgroup name='sales'>\n"
	"      <virtualport>\n"
	"        <parameters typeid='4242'/>\n"
	"      </virtualport>\n"
	"    </portgroup>\n"
	"  </network>\n"
	"  <networkport>\n"
	"    <uuid>254a240b-1f2e-4d3c-8b9a-0a1b2c3d4e5f</uuid>\n"
	"    <owner>\n"
	"      <name>qbgnettest</name>\n"
	"      <uuid>66666666-2222-3333-4444-555555555555</uuid>\n"
	"    </owner>\n"
	"    <group>sales</group>\n"
	"    <mac address='52:54:00:dd:ee:ff'/>\n"
	"    <virtualport type='802.1Qbg'>\n"
	"      <parameters managerid='11' typeid='4242' typeidversion='2' instanceid='ed60a7fb-5c4d-4e3f-a2b1-c0d9e8f7a6b5'/>\n"
	"    </virtualport>\n"
	"    <plug type='direct' dev='bqbg0' mode='vepa'/>\n"
	"  </networkport>\n"
	"</hookData>\n";

/* A domain with a direct vepa interface (Qbg, as vdpctl resolve --xml
 * renders it), a direct Qbh one identified by a user alias, a
 * type='network' one and a plain bridge one; "start" has target devs. */
static const char domain_xml[] =
	"<domain type='kvm' id='3'>\n"
	"  <name>vm1</name>\n"
	"  <uuid>66666666-2222-3333-4444-555555555555</uuid>\n"
	"  <memory unit='KiB'>65536</memory>\n"
	"  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
	"  <devices>\n"
	"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
	"    <interface type='direct'>\n"
	"      <mac address='52:54:00:00:00:01'/>\n"
	"      <source dev='eth4.10' mode='vepa'/>\n"
	"      <virtualport type='802.1Qbg'>\n"
	"        <parameters managerid='11' typeid='1193047' typeidversion='2' instanceid='0B3C9E2A-1111-4d4d-8e8e-000000000001'/>\n"
	"      </virtualport>\n"
	"      <target dev='macvtap0'/>\n"
	"      <model type='virtio'/>\n"
	"      <alias name='net0'/>\n"
	"    </interface>\n"
	"    <interface type='direct'>\n"
	"      <mac address='52:54:00:00:00:02'/>\n"
	"      <source dev='eth5' mode='passthrough'/>\n"
	"      <virtualport type='802.1Qbh'>\n"
	"        <parameters profileid='enterprise-xyz'/>\n"
	"      </virtualport>\n"
	"      <alias name='ua-0b3c9e2a-1111-4d4d-8e8e-000000000002'/>\n"
	"    </interface>\n"
	"    <interface type='network'>\n"
	"      <mac address='52:54:00:00:00:03'/>\n"
	"      <source network='qbgnet' portid='254a240b-1f2e-4d3c-8b9a-0a1b2c3d4e5f'/>\n"
	"      <virtualport type='802.1Qbg'>\n"
	"        <parameters instanceid='ed60a7fb-5c4d-4e3f-a2b1-c0d9e8f7a6b5'/>\n"
	"      </virtualport>\n"
	"    </interface>\n"
	"    <interface type='bridge'>\n"
	"      <mac address='52:54:00:00:00:04'/>\n"
	"      <source bridge='br0'/>\n"
	"    </interface>\n"
	"  </devices>\n"
	"</domain>\n";

static int parse(const char *object, const char *name, const char *op, const char *sub, const char *xml,
		 struct reg_hook_result *res, struct reg_err *err)
{
	char *argv[] = { (char *)name, (char *)op, (char *)sub, (char *)"-" };

	return reg_hook_parse(object, 4, argv, xml, strlen(xml), res, err);
}

static void test_network_port_created(void **state)
{
	struct reg_hook_result res;
	struct reg_err err;
	char mac[18];

	(void)state;
	assert_int_equal(parse("network", "qbgnet", "port-created", "begin", port_created, &res, &err), 0);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.acts[0].op, REG_HOOK_BIND);
	/* The instanceid libvirt will put in its netlink request. */
	assert_string_equal(res.acts[0].b.iface_id, "ed60a7fb-5c4d-4e3f-a2b1-c0d9e8f7a6b5");
	reg_mac_format(res.acts[0].b.mac, mac);
	assert_string_equal(mac, "52:54:00:dd:ee:ff");
	assert_string_equal(res.acts[0].b.uplink, "bqbg0");
	assert_string_equal(res.acts[0].b.dev, "");
	assert_string_equal(res.acts[0].b.vm_uuid,
			    "66666666-2222-3333-4444-555555555555"); /* <owner> */
	assert_non_null(strstr(res.acts[0].what, "network qbgnet port 254a240b"));
	reg_hook_result_free(&res);

	assert_int_equal(parse("network", "qbgnet", "port-deleted", "begin", port_created, &res, &err), 0);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.acts[0].op, REG_HOOK_UNBIND);
	assert_string_equal(res.acts[0].b.iface_id, "ed60a7fb-5c4d-4e3f-a2b1-c0d9e8f7a6b5");
	reg_hook_result_free(&res);

	/* Other network operations: nothing to do (and no XML needed). */
	assert_int_equal(parse("network", "qbgnet", "started", "begin", "", &res, &err), 0);
	assert_int_equal(res.n, 0);
}

static void test_network_qbh_port_uses_port_uuid(void **state)
{
	struct reg_hook_result res;
	struct reg_err err;
	const char *xml =
		"<hookData><network><name>n</name></network><networkport>"
		"<uuid>254A240B-1f2e-4d3c-8b9a-0a1b2c3d4e5f</uuid><mac address='52:54:00:aa:bb:cc'/>"
		"<virtualport type='802.1Qbh'><parameters profileid='enterprise-xyz'/></virtualport>"
		"<plug type='direct' dev='eth4' mode='passthrough'/></networkport></hookData>";

	(void)state;
	assert_int_equal(parse("network", "n", "port-created", "begin", xml, &res, &err), 0);
	assert_int_equal(res.n, 1);
	assert_string_equal(res.acts[0].b.iface_id, "254a240b-1f2e-4d3c-8b9a-0a1b2c3d4e5f");
	assert_string_equal(res.acts[0].b.uplink, "eth4");
	reg_hook_result_free(&res);
}

static void test_network_skips_non_direct(void **state)
{
	struct reg_hook_result res;
	struct reg_err err;
	const char *xml = "<hookData><network><name>n</name></network><networkport>"
			  "<uuid>254a240b-1f2e-4d3c-8b9a-0a1b2c3d4e5f</uuid><mac address='52:54:00:aa:bb:cc'/>"
			  "<virtualport type='openvswitch'><parameters interfaceid='254a240b-1f2e-4d3c-8b9a-0a1b2c3d4e5f'/></virtualport>"
			  "<plug type='bridge' bridge='ovsbr0'/></networkport></hookData>";

	(void)state;
	assert_int_equal(parse("network", "n", "port-created", "begin", xml, &res, &err), 0);
	assert_int_equal(res.n, 0);
	assert_non_null(strstr(res.notes, "plug type 'bridge' is not direct"));
}

static void test_qemu_start_and_stop(void **state)
{
	struct reg_hook_result res;
	struct reg_err err;

	(void)state;
	assert_int_equal(parse("qemu", "vm1", "start", "begin", domain_xml, &res, &err), 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.acts[0].op, REG_HOOK_BIND);
	assert_string_equal(res.acts[0].b.iface_id, "0b3c9e2a-1111-4d4d-8e8e-000000000001");
	/* eth4.10 is a VLAN device on uplink eth4. */
	assert_string_equal(res.acts[0].b.uplink, "eth4");
	assert_string_equal(res.acts[0].b.dev, "macvtap0");
	assert_int_equal(res.acts[0].b.mac[5], 1);
	assert_string_equal(res.acts[1].b.iface_id, "0b3c9e2a-1111-4d4d-8e8e-000000000002");
	assert_string_equal(res.acts[1].b.uplink, "eth5");
	assert_string_equal(res.acts[1].b.dev, "");
	/* the domain's UUID: what libvirt sends as the 802.1Qbh instance */
	assert_string_equal(res.acts[0].b.vm_uuid, "66666666-2222-3333-4444-555555555555");
	assert_string_equal(res.acts[1].b.vm_uuid, "66666666-2222-3333-4444-555555555555");
	/* type='network' is left to the network hook, with a note. */
	assert_non_null(strstr(res.notes, "type 'network' left to the network hook"));
	reg_hook_result_free(&res);

	assert_int_equal(parse("qemu", "vm1", "stopped", "end", domain_xml, &res, &err), 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.acts[0].op, REG_HOOK_UNBIND);
	assert_int_equal(res.acts[1].op, REG_HOOK_UNBIND);
	reg_hook_result_free(&res);

	/* the destination of a migration: "migrate" binds with migrating set
	 * (802.1Qbh PREASSOCIATE_RR), "started" clears it, the others keep it */
	assert_int_equal(parse("qemu", "vm1", "migrate", "begin", domain_xml, &res, &err), 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.acts[0].op, REG_HOOK_BIND);
	assert_int_equal(res.acts[0].b.migrating, 1);
	assert_int_equal(res.acts[1].b.migrating, 1);
	reg_hook_result_free(&res);
	assert_int_equal(parse("qemu", "vm1", "prepare", "begin", domain_xml, &res, &err), 0);
	assert_int_equal(res.acts[0].b.migrating, -1);
	reg_hook_result_free(&res);
	assert_int_equal(parse("qemu", "vm1", "started", "begin", domain_xml, &res, &err), 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.acts[0].op, REG_HOOK_BIND);
	assert_int_equal(res.acts[0].b.migrating, 0);
	reg_hook_result_free(&res);
	assert_int_equal(
		parse("network", "qbgnet", "port-created", "begin", port_created, &res, &err), 0);
	assert_int_equal(res.acts[0].b.migrating, -1);
	reg_hook_result_free(&res);
}

static void test_bad_input_fails(void **state)
{
	struct reg_hook_result res;
	struct reg_err err;
	char *bad;

	(void)state;
	assert_int_equal(parse("qemu", "vm1", "prepare", "begin", "<domain><devices>", &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "does not parse"));
	assert_int_equal(parse("qemu", "vm1", "prepare", "begin", "", &res, &err), -EINVAL);
	assert_int_equal(parse("qemu", "vm1", "prepare", "begin", port_created, &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "expected <domain>"));
	assert_int_equal(parse("lxc", "c1", "prepare", "begin", domain_xml, &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "hook object 'lxc' unknown"));
	/* An interface of ours with a broken MAC or instanceid. */
	bad = strdup(domain_xml);
	memcpy(strstr(bad, "52:54:00:00:00:01"), "52:54:00:00:00:0z", 17);
	assert_int_equal(parse("qemu", "vm1", "prepare", "begin", bad, &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "MAC '52:54:00:00:00:0z'"));
	free(bad);
	bad = strdup(port_created);
	memcpy(strstr(bad, "ed60a7fb-5c4d"), "xd60a7fb-5c4d", 13);
	assert_int_equal(parse("network", "qbgnet", "port-created", "begin", bad, &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not a UUID"));
	free(bad);
}

/* What `vdpctl hook` does with the actions, against a registry: a binding
 * that cannot be made is an error, which fails the hook. */
static void test_apply_to_registry(void **state)
{
	struct reg *reg = reg_new(NULL, NULL);
	struct reg_uplink u = { .dev = "bqbg0", .physnet = "p", .mode = REG_MODE_VEPA };
	struct reg_hook_result res;
	struct reg_err err;

	(void)state;
	assert_int_equal(parse("network", "qbgnet", "port-created", "begin", port_created, &res, &err), 0);
	/* No such host uplink registered: refused. */
	assert_int_equal(reg_bind(reg, &res.acts[0].b, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "uplink 'bqbg0' is not a registered host uplink"));
	assert_int_equal(reg_uplink_add(reg, &u, &err), 0);
	assert_int_equal(reg_bind(reg, &res.acts[0].b, &err), 0);
	/* libvirtd restart: port-created runs again; accepted. */
	assert_int_equal(reg_bind(reg, &res.acts[0].b, &err), 0);
	reg_hook_result_free(&res);
	assert_int_equal(parse("network", "qbgnet", "port-deleted", "begin", port_created, &res, &err), 0);
	assert_int_equal(reg_unbind(reg, res.acts[0].b.iface_id, &err), 0);
	assert_null(reg_binding_get(reg, "ed60a7fb-5c4d-4e3f-a2b1-c0d9e8f7a6b5"));
	reg_hook_result_free(&res);
	reg_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_port_created),
		cmocka_unit_test(test_network_qbh_port_uses_port_uuid),
		cmocka_unit_test(test_network_skips_non_direct),
		cmocka_unit_test(test_qemu_start_and_stop),
		cmocka_unit_test(test_bad_input_fails),
		cmocka_unit_test(test_apply_to_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
