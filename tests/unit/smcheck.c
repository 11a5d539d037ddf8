/* Transition-table check for the VDP machine tests (see smcheck.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "tests/unit/smcheck.h"

size_t sm_check_table(const struct sm_spec *m, const struct sm_row *rows, size_t n_rows,
		      const uint32_t *seen)
{
	size_t n = m->n_states, n_legal = 0, n_seen = 0;
	bool *row = calloc(n * n, sizeof(*row));

	assert_non_null(row);
	for (size_t k = 0; k < n_rows; k++) {
		uint8_t f = rows[k].from, t = rows[k].to;
		if (!m->legal(f, t) || row[f * n + t])
			fail_msg("%s row %s -> %s: not in the table or twice", m->machine, m->name(f), m->name(t));
		row[f * n + t] = true;
		if (!seen[f * n + t])
			fail_msg("%s: not reached: %s -> %s (%s)", m->machine, m->name(f), m->name(t), rows[k].how);
	}
	for (uint8_t f = 0; f < n; f++)
		for (uint8_t t = 0; t < n; t++) {
			if (m->legal(f, t)) {
				n_legal++;
				if (!row[f * n + t])
					fail_msg("%s: legal but not listed: %s -> %s", m->machine, m->name(f),
						 m->name(t));
			}
			if (seen[f * n + t]) {
				n_seen++;
				if (!m->legal(f, t))
					fail_msg("%s: made but illegal: %s -> %s", m->machine, m->name(f), m->name(t));
			}
		}
	free(row);
	assert_int_equal(n_legal, n_rows);
	assert_int_equal(n_seen, n_legal);
	print_message("%s: %zu legal transitions of %zu x %zu, all reached\n", m->machine, n_legal, n, n);
	return n_legal;
}
