/*
 * metrics.c -- in-memory counters, gauges and one histogram, rendered in
 * the Prometheus text format.  See metrics.h.
 *
 * SECURITY: label values may carry partner-chosen text (a peer id that
 * failed authentication, say).  They are bounded in length and in number
 * (a flood of new values folds into "other" instead of growing memory) and
 * escaped when rendered, so that no value can add a line, a label or a
 * sample to the exposition.  No I/O.
 *
 * Layout: a fixed table of families sorted by name.  Each labelled family
 * keeps a sorted array of series (binary search to count, a merge with its
 * "other" series to render); an unlabelled family keeps its one sample in
 * that "other" slot, which lives in the table and so never needs memory.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define LABELS_MAX	3
/* The exposition cannot legitimately approach this (8 families of at most
 * 4097 series of at most ~1 KiB); it only stops a bug from eating memory. */
#define RENDER_MAX	(64UL * 1024 * 1024)

enum kind {
	KIND_COUNTER,
	KIND_GAUGE,
	KIND_HISTOGRAM,
};

/* What a gauge folded into "other" keeps. */
enum fold {
	FOLD_SUM,
	FOLD_MIN,
};

struct series {
	const char	*s_lv[LABELS_MAX];	/* after the struct, or static */
	uint64_t	 s_count;		/* counters */
	double		 s_value;		/* gauges */
	/* an allocated series is followed by its label values */
};

struct family {
	const char	*f_name;
	const char	*f_help;
	enum kind	 f_kind;
	enum fold	 f_fold;
	size_t		 f_nlabels;
	const char	*f_labels[LABELS_MAX];
	struct series	**f_series;		/* sorted by label values */
	size_t		 f_n, f_cap;
	struct series	 f_other;		/* every label "other" */
	int		 f_other_used;
};

/* Indices into families[]; the table itself is in name order. */
enum {
	FAM_HANDOFFS_OVERDUE,
	FAM_HANDOFFS_PENDING,
	FAM_RECEIVED,
	FAM_SENT,
	FAM_FOLDED,
	FAM_OUTBOX,
	FAM_CERT_EXPIRY,
	FAM_FAULTS,
	FAM_DURATION,
	FAM_COUNT
};

static const char other[] = "other";

#define OTHER	{ .s_lv = { other, other, other } }

static struct family families[FAM_COUNT] = {
	[FAM_HANDOFFS_OVERDUE] = {
		.f_name = "hlx_handoffs_overdue",
		.f_help = "Hand-offs to the case system not acknowledged before "
		    "their deadline.",
		.f_kind = KIND_GAUGE, .f_nlabels = 0, .f_other = OTHER },
	[FAM_HANDOFFS_PENDING] = {
		.f_name = "hlx_handoffs_pending",
		.f_help = "Hand-offs committed whose file is not yet written "
		    "to the hand-off directory.",
		.f_kind = KIND_GAUGE, .f_nlabels = 0, .f_other = OTHER },
	[FAM_RECEIVED] = {
		.f_name = "hlx_messages_received_total",
		.f_help = "Messages received from partners, by peer, body type "
		    "and result.",
		.f_kind = KIND_COUNTER, .f_nlabels = 3,
		.f_labels = { "peer", "type", "result" }, .f_other = OTHER },
	[FAM_SENT] = {
		.f_name = "hlx_messages_sent_total",
		.f_help = "Messages sent to partners (delivery attempts), by "
		    "peer, body type and result.",
		.f_kind = KIND_COUNTER, .f_nlabels = 3,
		.f_labels = { "peer", "type", "result" }, .f_other = OTHER },
	[FAM_FOLDED] = {
		.f_name = "hlx_metrics_series_folded_total",
		.f_help = "Samples counted under label value other because their "
		    "family reached its series limit or a value was too long.",
		.f_kind = KIND_COUNTER, .f_nlabels = 0, .f_other = OTHER },
	[FAM_OUTBOX] = {
		.f_name = "hlx_outbox_messages",
		.f_help = "Messages in the outbox, by peer and state.",
		.f_kind = KIND_GAUGE, .f_fold = FOLD_SUM, .f_nlabels = 2,
		.f_labels = { "peer", "state" }, .f_other = OTHER },
	[FAM_CERT_EXPIRY] = {
		.f_name = "hlx_peer_cert_expiry_timestamp_seconds",
		.f_help = "Unix time at which a peer's certificate expires.",
		.f_kind = KIND_GAUGE, .f_fold = FOLD_MIN, .f_nlabels = 1,
		.f_labels = { "peer" }, .f_other = OTHER },
	[FAM_FAULTS] = {
		.f_name = "hlx_peer_faults_total",
		.f_help = "Faults attributed to a peer, by kind.",
		.f_kind = KIND_COUNTER, .f_nlabels = 2,
		.f_labels = { "peer", "kind" }, .f_other = OTHER },
	[FAM_DURATION] = {
		.f_name = "hlx_request_duration_seconds",
		.f_help = "Time taken to handle one request on the partner "
		    "listener.",
		.f_kind = KIND_HISTOGRAM, .f_nlabels = 0, .f_other = OTHER },
};

static const double bounds[] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBOUNDS	(sizeof(bounds) / sizeof(bounds[0]))

/* Per bucket, not cumulative; [NBOUNDS] is +Inf.  Cumulated on render. */
static uint64_t	hist_bucket[NBOUNDS + 1];
static double	hist_sum;
static uint64_t	hist_count;

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;

/* Called with mtx held, as is everything below until metrics_*. */

static int
series_cmp(const struct family *f, const char *const *a,
    const char *const *b)
{
	size_t i;
	int c;

	for (i = 0; i < f->f_nlabels; i++)
		if ((c = strcmp(a[i], b[i])) != 0)
			return c;
	return 0;
}

/*
 * The series for label values lv (f->f_nlabels of them, none NULL),
 * created if need be, or the family's "other" series.  *fresh says whether
 * the series had no sample yet.  Never fails: folding is the fallback.
 */
static struct series *
series_get(struct family *f, const char *const *lv, int *fresh)
{
	struct series *s, **ns;
	size_t lo, hi, mid, i, len[LABELS_MAX], total = 0;
	char *p;
	int c;

	*fresh = 0;
	if (f->f_nlabels == 0 || series_cmp(f, lv, f->f_other.s_lv) == 0)
		goto other;
	lo = 0;
	hi = f->f_n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = series_cmp(f, lv, f->f_series[mid]->s_lv);
		if (c == 0)
			return f->f_series[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (f->f_n >= METRICS_SERIES_MAX)
		goto fold;
	for (i = 0; i < f->f_nlabels; i++) {
		len[i] = strlen(lv[i]);
		if (len[i] > METRICS_LABEL_MAX)
			goto fold;
		total += len[i] + 1;
	}
	if (f->f_n == f->f_cap) {
		size_t cap = f->f_cap == 0 ? 16 : f->f_cap * 2;

		if (cap > METRICS_SERIES_MAX)
			cap = METRICS_SERIES_MAX;
		if ((ns = realloc(f->f_series, cap * sizeof(*ns))) == NULL)
			goto fold;
		f->f_series = ns;
		f->f_cap = cap;
	}
	if ((s = calloc(1, sizeof(*s) + total)) == NULL)
		goto fold;
	p = (char *)(s + 1);
	for (i = 0; i < f->f_nlabels; i++) {
		memcpy(p, lv[i], len[i] + 1);
		s->s_lv[i] = p;
		p += len[i] + 1;
	}
	memmove(f->f_series + lo + 1, f->f_series + lo,
	    (f->f_n - lo) * sizeof(*f->f_series));
	f->f_series[lo] = s;
	f->f_n++;
	*fresh = 1;
	return s;
fold:
	families[FAM_FOLDED].f_other.s_count++;
	families[FAM_FOLDED].f_other_used = 1;
other:
	*fresh = !f->f_other_used;
	f->f_other_used = 1;
	return &f->f_other;
}

static void
family_clear(struct family *f)
{
	size_t i;

	for (i = 0; i < f->f_n; i++)
		free(f->f_series[i]);
	f->f_n = 0;
	f->f_other.s_count = 0;
	f->f_other.s_value = 0;
	f->f_other_used = 0;
}

static void
count(int fam, const char *v1, const char *v2, const char *v3)
{
	const char *lv[LABELS_MAX];
	struct series *s;
	int fresh;

	lv[0] = v1 == NULL ? "" : v1;
	lv[1] = v2 == NULL ? "" : v2;
	lv[2] = v3 == NULL ? "" : v3;
	pthread_mutex_lock(&mtx);
	s = series_get(&families[fam], lv, &fresh);
	s->s_count++;
	pthread_mutex_unlock(&mtx);
}

void
metrics_received(const char *peer, const char *type, const char *result)
{
	count(FAM_RECEIVED, peer, type, result);
}

void
metrics_sent(const char *peer, const char *type, const char *result)
{
	count(FAM_SENT, peer, type, result);
}

void
metrics_fault(const char *peer, const char *kind)
{
	count(FAM_FAULTS, peer, kind, NULL);
}

void
metrics_request_duration(double seconds)
{
	size_t i;

	if (!isfinite(seconds) || seconds < 0)
		seconds = 0;
	for (i = 0; i < NBOUNDS; i++)
		if (seconds <= bounds[i])
			break;
	pthread_mutex_lock(&mtx);
	hist_bucket[i]++;
	hist_sum += seconds;
	hist_count++;
	pthread_mutex_unlock(&mtx);
}

static struct family *
gauge_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < FAM_COUNT; i++)
		if (families[i].f_kind == KIND_GAUGE &&
		    strcmp(families[i].f_name, name) == 0)
			return &families[i];
	return NULL;
}

int
metrics_gauge_reset(const char *name)
{
	struct family *f;

	if ((f = gauge_find(name)) == NULL)
		return -1;
	pthread_mutex_lock(&mtx);
	family_clear(f);
	pthread_mutex_unlock(&mtx);
	return 0;
}

static int
label_is(const struct family *f, size_t i, const char *label)
{
	if (i >= f->f_nlabels)
		return label == NULL;
	return label != NULL && strcmp(label, f->f_labels[i]) == 0;
}

int
metrics_gauge_set(const char *name, const char *label1, const char *value1,
    const char *label2, const char *value2, double v)
{
	const char *lv[LABELS_MAX];
	struct family *f;
	struct series *s;
	int fresh;

	if ((f = gauge_find(name)) == NULL || !label_is(f, 0, label1) ||
	    !label_is(f, 1, label2))
		return -1;
	lv[0] = value1 == NULL ? "" : value1;
	lv[1] = value2 == NULL ? "" : value2;
	lv[2] = "";
	pthread_mutex_lock(&mtx);
	s = series_get(f, lv, &fresh);
	if (s != &f->f_other || f->f_nlabels == 0 || fresh)
		s->s_value = v;
	else if (f->f_fold == FOLD_SUM)
		s->s_value += v;
	else if (v < s->s_value)
		s->s_value = v;
	pthread_mutex_unlock(&mtx);
	return 0;
}

/* The growing exposition; ob_err sticks at the first failure. */
struct obuf {
	char	*ob_buf;
	size_t	 ob_len, ob_cap;
	int	 ob_err;
};

static void
ob_add(struct obuf *ob, const char *p, size_t n)
{
	char *nb;
	size_t cap;

	if (ob->ob_err)
		return;
	if (n >= ob->ob_cap - ob->ob_len) {
		if (n >= RENDER_MAX - ob->ob_len) {
			ob->ob_err = 1;
			return;
		}
		cap = ob->ob_cap;
		while (n >= cap - ob->ob_len)
			cap *= 2;
		if (cap > RENDER_MAX)
			cap = RENDER_MAX;
		if ((nb = realloc(ob->ob_buf, cap)) == NULL) {
			ob->ob_err = 1;
			return;
		}
		ob->ob_buf = nb;
		ob->ob_cap = cap;
	}
	memcpy(ob->ob_buf + ob->ob_len, p, n);
	ob->ob_len += n;
	ob->ob_buf[ob->ob_len] = '\0';
}

static void
ob_str(struct obuf *ob, const char *s)
{
	ob_add(ob, s, strlen(s));
}

/* A label value per the text format: \\, \" and \n; all else verbatim. */
static void
ob_label_value(struct obuf *ob, const char *v)
{
	const char *p, *esc;

	for (p = v; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			esc = "\\\\";
			break;
		case '"':
			esc = "\\\"";
			break;
		case '\n':
			esc = "\\n";
			break;
		default:
			continue;
		}
		ob_add(ob, v, (size_t)(p - v));
		ob_str(ob, esc);
		v = p + 1;
	}
	ob_add(ob, v, (size_t)(p - v));
}

/*
 * A float as the text format wants it: the shortest of %.15g and %.17g
 * that reads back as the same double (so 0.1 is "0.1", and integers carry
 * no exponent below 1e15), and +Inf, -Inf, NaN.  Assumes the "C" locale,
 * which hlxd never changes.
 */
static void
ob_double(struct obuf *ob, double v)
{
	char buf[32];

	if (isnan(v))
		ob_str(ob, "NaN");
	else if (isinf(v))
		ob_str(ob, v > 0 ? "+Inf" : "-Inf");
	else {
		snprintf(buf, sizeof(buf), "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof(buf), "%.17g", v);
		ob_str(ob, buf);
	}
}

static void
ob_u64(struct obuf *ob, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	ob_str(ob, buf);
}

static void
render_series(struct obuf *ob, const struct family *f,
    const struct series *s)
{
	size_t i;

	ob_str(ob, f->f_name);
	for (i = 0; i < f->f_nlabels; i++) {
		ob_str(ob, i == 0 ? "{" : ",");
		ob_str(ob, f->f_labels[i]);
		ob_str(ob, "=\"");
		ob_label_value(ob, s->s_lv[i]);
		ob_str(ob, "\"");
	}
	ob_str(ob, f->f_nlabels > 0 ? "} " : " ");
	if (f->f_kind == KIND_COUNTER)
		ob_u64(ob, s->s_count);
	else
		ob_double(ob, s->s_value);
	ob_str(ob, "\n");
}

static void
render_histogram(struct obuf *ob, const struct family *f)
{
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i <= NBOUNDS; i++) {
		cum += hist_bucket[i];
		ob_str(ob, f->f_name);
		ob_str(ob, "_bucket{le=\"");
		if (i < NBOUNDS)
			ob_double(ob, bounds[i]);
		else
			ob_str(ob, "+Inf");
		ob_str(ob, "\"} ");
		ob_u64(ob, cum);
		ob_str(ob, "\n");
	}
	ob_str(ob, f->f_name);
	ob_str(ob, "_sum ");
	ob_double(ob, hist_sum);
	ob_str(ob, "\n");
	ob_str(ob, f->f_name);
	ob_str(ob, "_count ");
	ob_u64(ob, hist_count);
	ob_str(ob, "\n");
}

static void
render_family(struct obuf *ob, const struct family *f)
{
	static const char *const kinds[] = {
		[KIND_COUNTER] = "counter",
		[KIND_GAUGE] = "gauge",
		[KIND_HISTOGRAM] = "histogram",
	};
	int other_done;
	size_t i;

	/* Help texts are ours and hold neither backslash nor newline. */
	ob_str(ob, "# HELP ");
	ob_str(ob, f->f_name);
	ob_str(ob, " ");
	ob_str(ob, f->f_help);
	ob_str(ob, "\n# TYPE ");
	ob_str(ob, f->f_name);
	ob_str(ob, " ");
	ob_str(ob, kinds[f->f_kind]);
	ob_str(ob, "\n");

	if (f->f_kind == KIND_HISTOGRAM) {
		render_histogram(ob, f);
		return;
	}
	if (f->f_nlabels == 0) {
		/* An unlabelled counter is 0 from the start; an unlabelled
		 * gauge has no value until someone computes it. */
		if (f->f_kind == KIND_COUNTER || f->f_other_used)
			render_series(ob, f, &f->f_other);
		return;
	}
	other_done = !f->f_other_used;
	for (i = 0; i < f->f_n; i++) {
		if (!other_done && series_cmp(f, f->f_other.s_lv,
		    f->f_series[i]->s_lv) < 0) {
			render_series(ob, f, &f->f_other);
			other_done = 1;
		}
		render_series(ob, f, f->f_series[i]);
	}
	if (!other_done)
		render_series(ob, f, &f->f_other);
}

char *
metrics_render(size_t *len)
{
	struct obuf ob = { NULL, 0, 0, 0 };
	size_t i;

	if (len != NULL)
		*len = 0;
	ob.ob_cap = 4096;
	if ((ob.ob_buf = malloc(ob.ob_cap)) == NULL)
		return NULL;
	ob.ob_buf[0] = '\0';
	pthread_mutex_lock(&mtx);
	for (i = 0; i < FAM_COUNT; i++)
		render_family(&ob, &families[i]);
	pthread_mutex_unlock(&mtx);
	if (ob.ob_err) {
		free(ob.ob_buf);
		return NULL;
	}
	if (len != NULL)
		*len = ob.ob_len;
	return ob.ob_buf;
}

void
metrics_reset(void)
{
	size_t i;

	pthread_mutex_lock(&mtx);
	for (i = 0; i < FAM_COUNT; i++) {
		family_clear(&families[i]);
		free(families[i].f_series);
		families[i].f_series = NULL;
		families[i].f_cap = 0;
	}
	memset(hist_bucket, 0, sizeof(hist_bucket));
	hist_sum = 0;
	hist_count = 0;
	pthread_mutex_unlock(&mtx);
}
