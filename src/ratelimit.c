/*
 * ratelimit -- token bucket arithmetic (ratelimit.h).
 */
#include <stddef.h>

#include "hlx_limits.h"
#include "ratelimit.h"

/* A Retry-After no longer than a day: past that the arithmetic is off. */
#define RATELIMIT_WAIT_MAX	HLX_RETRY_AFTER_MAX

int
ratelimit_take(struct ratelimit *b, double now, double rate, double burst,
    double cost, double *wait)
{
	double need = cost < burst ? cost : burst;

	if (!b->rl_started) {
		b->rl_started = 1;
		b->rl_tokens = burst;
		b->rl_at = now;
	}
	if (now > b->rl_at)
		b->rl_tokens += (now - b->rl_at) * rate;
	b->rl_at = now;
	/* A lowered burst (a reload) applies at once. */
	if (b->rl_tokens > burst)
		b->rl_tokens = burst;
	if (b->rl_tokens >= need) {
		b->rl_tokens -= cost;
		return 1;
	}
	if (wait != NULL)
		*wait = (need - b->rl_tokens) / rate;
	return 0;
}

long
ratelimit_retry_after(double wait)
{
	long s;

	if (wait >= RATELIMIT_WAIT_MAX)
		return RATELIMIT_WAIT_MAX;
	s = (long)wait;

	if ((double)s < wait)
		s++;
	return s < 1 ? 1 : s;
}
