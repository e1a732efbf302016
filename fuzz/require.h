/*
 * require.h: REQUIRE(cond) for libFuzzer harnesses: a property that must
 * hold for every input; on failure it names the line and aborts, which
 * libFuzzer reports as a crash with the input saved.
 */
#ifndef PL_FUZZ_REQUIRE_H
#define PL_FUZZ_REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);	\
		abort();						\
	}								\
} while (0)

#endif /* PL_FUZZ_REQUIRE_H */
