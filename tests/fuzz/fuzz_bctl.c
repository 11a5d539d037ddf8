/* libFuzzer target: the control socket with vdp-bridge's commands behind it
 * (tools/vdp-bridge/bctl.c: vsi.show paging with offset, after and limit,
 * fault.set, config.reload, ...), a bridge in process whose two ports are
 * socketpairs to two stations with seven VSIs between them (fixture:
 * tests/unit/vbr_fx.h).  The input is written as-is to a fresh
 * connection; seeds hold valid frames.  Checks: no crash or leak, the
 * connection always ends, and every byte the bridge sent back is a sequence
 * of well-formed reply frames.  After each input the fault settings go back
 * to the file's and removed VSIs come back, so one input does not steer the
 * next. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "tests/fuzz/ctl_converse.h"
#include "tests/unit/vbr_fx.h"

static struct vbr_fx fx;

static void cleanup(void)
{
	unlink(fx.conf);
}

/* FUZZ_BCTL_SHOW=1 prints every reply (to look at what a seed reaches). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready, show;

	if (!ready) {
		log_init("fuzz_bctl", LOG_TO_STDERR, LOG_CRIT);
		if (vbr_fx_init(&fx, "fuzz_bctl") < 0)
			abort();
		atexit(cleanup);
		show = getenv("FUZZ_BCTL_SHOW") != NULL;
		ready = true;
	}
	if (size > 128 * 1024)
		return 0;
	ctl_converse(fx.b.ctl, fx.b.base, data, size, show);
	if (!vbr_fx_reset(&fx))
		abort();
	return 0;
}
