/*
 * ratelimit -- a token bucket: the arithmetic of hlxd's per-peer limits
 * ([listen] rate_limit, messages a second; rate_limit_bytes, body bytes a
 * second).  Pure: the caller passes the time and keeps the bucket.
 *
 * A bucket holds at most burst tokens and gains rate a second.  A cost
 * is taken when the bucket holds it -- or, for a cost above the burst,
 * when the bucket is full (else it could never pass) -- and may leave the
 * bucket below zero: what was taken is paid back before anything else
 * passes, so a large message costs its full size whatever the burst.
 * A refusal takes nothing.
 *
 * Ownership: a bucket is a plain value of the caller's; nothing here
 * allocates.
 */
#ifndef HLX_RATELIMIT_H
#define HLX_RATELIMIT_H

struct ratelimit {
	double		rl_tokens;
	double		rl_at;		/* seconds, the caller's clock */
	int		rl_started;	/* 0: a new bucket, full */
};

/*
 * Takes cost from b at time now (seconds, monotonic): 1, or 0 with *wait
 * set to the seconds until the same cost would be taken (0 < *wait).  A
 * zeroed bucket starts full.  rate and burst must be positive.  A clock
 * that went backwards adds nothing.
 */
int	ratelimit_take(struct ratelimit *b, double now, double rate,
	    double burst, double cost, double *wait);

/* Whole seconds to wait for a Retry-After: wait rounded up, at least 1. */
long	ratelimit_retry_after(double wait);

#endif /* HLX_RATELIMIT_H */
