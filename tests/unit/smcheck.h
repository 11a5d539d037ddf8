/* The transition-table check shared by the station and bridge machine
 * tests: the listed rows are exactly the machine's legal transitions, each
 * was reached by the tests, and nothing illegal was made. */
#ifndef TESTS_UNIT_SMCHECK_H
#define TESTS_UNIT_SMCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sm_row {
	uint8_t from, to;
	const char *how;	/* which test scenario makes it */
};

struct sm_spec {
	const char *machine;	/* "station", "bridge" */
	uint8_t n_states;
	bool (*legal)(uint8_t from, uint8_t to);
	const char *(*name)(uint8_t state);
};

/* seen: n_states x n_states counts of the transitions made (row-major).
 * Fails the test with the first mismatch; returns the legal count. */
size_t sm_check_table(const struct sm_spec *m, const struct sm_row *rows, size_t n_rows,
		      const uint32_t *seen);

#endif
