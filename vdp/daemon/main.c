/* vdpd: everything lives in the daemon library (vdp/daemon/vdpd.c). */
#include "vdp/daemon/vdpd.h"

int main(int argc, char **argv)
{
	return vdpd_main(argc, argv);
}
