/* vdpd: everything lives in the daemon library (vdp/vdpd.c). */
#include "vdp/vdpd.h"

int main(int argc, char **argv)
{
	return vdpd_main(argc, argv);
}
