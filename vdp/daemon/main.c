/* vdpd: everything lives in the daemon library (vdp/daemon/process.c). */
#include "vdp/daemon/process.h"

int main(int argc, char **argv)
{
	return vdpd_main(argc, argv);
}
