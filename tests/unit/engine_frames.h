/* Test helpers for the protocol engine: a fake port that captures frames,
 * and builders/decoders of ECP frames carrying VDP ULPDUs (through the
 * codec, so tests check what is on the wire). */
#ifndef TESTS_ENGINE_FRAMES_H
#define TESTS_ENGINE_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vdp/engine/ecp.h"
#include "vdp/wire/vdp_tlv.h"

#define TF_MAX_TLVS 128

struct tf_frame {
	uint8_t buf[ECP_FRAME_MAX];
	size_t len;
	uint64_t time;
};

/* A growable capture of sent frames. */
struct tf_capture {
	struct tf_frame *f;
	size_t n, cap;
};

void tf_capture_add(struct tf_capture *c, const uint8_t *frame, size_t len, uint64_t now);
void tf_capture_free(struct tf_capture *c);

/* A decoded ECP frame; for requests with VDP, the ULPDU decoded too. */
struct tf_ecp {
	struct ecp_hdr h;
	bool has_vdp;
	struct vdp_pdu pdu;
	struct vdp_tlv tlvs[TF_MAX_TLVS];
	const uint8_t *ulpdu;
	size_t ulpdu_len;
};

/* Returns 0 on success (frame is ECP, and a request's VDP ULPDU decodes). */
int tf_decode(const uint8_t *frame, size_t len, struct tf_ecp *out);

/* One association TLV to build. */
struct tf_tlv {
	uint8_t type;
	uint8_t status;
	uint32_t type_id;
	uint8_t type_version;
	uint8_t vsiid_fmt;
	uint8_t vsiid[16];
	uint8_t filter_fmt;
	uint16_t n;
	struct vdp_filter f[4];
};

/* Builds an ECP request frame (VDP) with mgrid and the TLVs; returns len. */
size_t tf_build_vdp(uint8_t *buf, const uint8_t src[6], uint16_t seq, const uint8_t mgrid[16],
		    const struct tf_tlv *t, size_t n);
size_t tf_build_ack(uint8_t *buf, const uint8_t src[6], uint16_t seq);

/* A deterministic UUID-format VSIID / MAC for index i. */
void tf_vsiid(uint32_t i, uint8_t out[16]);
void tf_mac(uint32_t i, uint8_t out[6]);

#endif
