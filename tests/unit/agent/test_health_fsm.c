// SPDX-License-Identifier: GPL-2.0
/* The health checks' rise/fall state machine: a table of sequences, and
 * every sequence up to 12 results against an independent model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "agent/health.h"

/* State machine: table */

struct fsm_case {
	const char *desc;
	enum hc_state init;
	__u32 rise, fall;
	const char *results;	/* s = success, f = failure */
	const char *states;	/* U or D after each result */
	const char *trans;	/* . none, u to up, d to down */
};

static const struct fsm_case fsm_cases[] = {
	{ "up stays up on successes", HC_UP, 2, 3, "ssss", "UUUU", "...." },
	{ "fall 3: third failure downs", HC_UP, 2, 3, "fff", "UUD", "..d" },
	{ "fall 3: a success resets the run", HC_UP, 2, 3, "ffsfff",
	  "UUUUUD", ".....d" },
	{ "fall 3: alternating never downs", HC_UP, 2, 3, "fsfsfsfs",
	  "UUUUUUUU", "........" },
	{ "down: failures keep it down", HC_UP, 2, 3, "fffff", "UUDDD",
	  "..d.." },
	{ "rise 2 after down", HC_UP, 2, 3, "fffss", "UUDDU", "..d.u" },
	{ "rise 2: a failure resets the run", HC_UP, 2, 3, "fffsfss",
	  "UUDDDDU", "..d...u" },
	{ "init down: rise 2", HC_DOWN, 2, 3, "ss", "DU", ".u" },
	{ "init down: failures stay down, no transition", HC_DOWN, 2, 3,
	  "fff", "DDD", "..." },
	{ "init down: one success is not enough", HC_DOWN, 2, 3, "sfs",
	  "DDD", "..." },
	{ "rise 1 fall 1: every result decides", HC_UP, 1, 1, "fsfs",
	  "DUDU", "dudu" },
	{ "rise 1 fall 1: repeats are not transitions", HC_UP, 1, 1,
	  "ffss", "DDUU", "d.u." },
	{ "rise 1 fall 3", HC_UP, 1, 3, "fffsf", "UUDUU", "..du." },
	{ "rise 3 fall 1", HC_UP, 3, 1, "fssfsss", "DDDDDDU", "d.....u" },
	{ "rise 5 fall 5: full cycle", HC_UP, 5, 5, "fffffsssss",
	  "UUUUDDDDDU", "....d....u" },
	{ "rise 5 fall 5: four failures are not enough", HC_UP, 5, 5,
	  "ffffsffff", "UUUUUUUUU", "........." },
	{ "flapping backend with rise 2 fall 2", HC_UP, 2, 2, "ffsfssff",
	  "UDDDDUUD", ".d...u.d" },
};

static void test_fsm_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fsm_cases) / sizeof(fsm_cases[0]); i++) {
		const struct fsm_case *c = &fsm_cases[i];
		struct hc_fsm fsm;

		health_fsm_init(&fsm, c->init, c->rise, c->fall);
		for (size_t k = 0; c->results[k]; k++) {
			enum hc_transition tr =
				health_fsm_step(&fsm, c->results[k] == 's');
			char st = fsm.state == HC_UP ? 'U' : 'D';
			char t = tr == HC_T_UP	   ? 'u'
				 : tr == HC_T_DOWN ? 'd'
						   : '.';

			if (st != c->states[k] || t != c->trans[k])
				fail_msg("%s: step %zu: got %c%c, want %c%c",
					 c->desc, k, st, t, c->states[k],
					 c->trans[k]);
		}
	}
}

/* An independent model: the state after a sequence is decided by the last
 * run of rise successes or fall failures that crossed its threshold. */
static enum hc_state model(enum hc_state init, __u32 rise, __u32 fall,
			   unsigned int bits, unsigned int len)
{
	enum hc_state st = init;
	unsigned int run = 0;

	for (unsigned int k = 0; k < len; k++) {
		bool ok = bits >> k & 1;
		bool prev = k && (bits >> (k - 1) & 1);

		run = k && ok == prev ? run + 1 : 1;
		if (ok && run >= rise)
			st = HC_UP;
		else if (!ok && run >= fall)
			st = HC_DOWN;
	}
	return st;
}

/* Steps one sequence (bit k = result k) through the state machine and
 * checks state, transition and run counters after each step. */
static void check_sequence(enum hc_state init, __u32 rise, __u32 fall,
			   unsigned int bits, unsigned int len)
{
	enum hc_state before = init;
	unsigned int ok_run = 0, fail_run = 0;
	struct hc_fsm fsm;

	health_fsm_init(&fsm, init, rise, fall);
	for (unsigned int k = 0; k < len; k++) {
		bool ok = bits >> k & 1;
		enum hc_transition tr = health_fsm_step(&fsm, ok);
		enum hc_state want = model(init, rise, fall, bits, k + 1);
		enum hc_transition want_tr = want == before ? HC_T_NONE
					     : want == HC_UP ? HC_T_UP
							     : HC_T_DOWN;

		ok_run = ok ? ok_run + 1 : 0;
		fail_run = ok ? 0 : fail_run + 1;
		assert_int_equal(fsm.state, want);
		assert_int_equal(tr, want_tr);
		assert_int_equal(fsm.ok_run, ok_run);
		assert_int_equal(fsm.fail_run, fail_run);
		before = want;
	}
}

/* Every sequence up to 12 results, rise and fall 1..5, both initial
 * states, against the model. */
static void test_fsm_exhaustive(void **state)
{
	unsigned long checked = 0;

	(void)state;
	for (int init = HC_DOWN; init <= HC_UP; init++) {
		for (__u32 rise = 1; rise <= 5; rise++) {
			for (__u32 fall = 1; fall <= 5; fall++) {
				for (unsigned int len = 1; len <= 12; len++) {
					for (unsigned int b = 0; b < 1u << len;
					     b++)
						check_sequence(init, rise, fall,
							       b, len);
					checked += 1u << len;
				}
			}
		}
	}
	assert_int_equal(checked, 2 * 5 * 5 * ((1u << 13) - 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsm_table),
		cmocka_unit_test(test_fsm_exhaustive),
	};

	return cmocka_run_group_tests_name("health_fsm", tests, NULL, NULL);
}
