/*
 * peertab.c -- peers' pins, sorted for binary search.  See peertab.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peertab.h"

struct peertab_row {
	char			*pin;
	char			*id;
	enum peertab_state	 state;
	time_t			 expires;	/* 0: none known */
};

struct peertab {
	struct peertab_row *rows;
	size_t		 n;
	size_t		 cap;
	int		 sorted;
};

struct peertab *
peertab_new(void)
{
	return calloc(1, sizeof(struct peertab));
}

int
peertab_add(struct peertab *t, const char *pin, const char *id,
    enum peertab_state state, time_t expires)
{
	struct peertab_row *nr;

	if (t->n == t->cap) {
		size_t cap = t->cap == 0 ? 16 : t->cap * 2;

		if ((nr = realloc(t->rows, cap * sizeof(*nr))) == NULL)
			return -1;
		t->rows = nr;
		t->cap = cap;
	}
	if ((t->rows[t->n].pin = strdup(pin)) == NULL)
		return -1;
	if ((t->rows[t->n].id = strdup(id)) == NULL) {
		free(t->rows[t->n].pin);
		return -1;
	}
	t->rows[t->n].state = state;
	t->rows[t->n].expires = expires;
	t->n++;
	t->sorted = 0;
	return 0;
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct peertab_row *)a)->pin,
	    ((const struct peertab_row *)b)->pin);
}

static const struct peertab_row *
find(const struct peertab *t, const char *pin)
{
	struct peertab_row key;

	if (t == NULL || t->n == 0)
		return NULL;
	if (!t->sorted) {
		/* Sorting is an implementation detail of a const table. */
		struct peertab *w = (struct peertab *)(uintptr_t)t;

		qsort(w->rows, w->n, sizeof(*w->rows), row_cmp);
		w->sorted = 1;
	}
	key.pin = (char *)(uintptr_t)pin;
	return bsearch(&key, t->rows, t->n, sizeof(*t->rows), row_cmp);
}

enum peertab_verdict
peertab_check(const struct peertab *t, const char *pin, time_t now,
    const char **id, time_t *expires)
{
	const struct peertab_row *r = find(t, pin);

	if (id != NULL)
		*id = r != NULL ? r->id : NULL;
	if (expires != NULL)
		*expires = r != NULL ? r->expires : 0;
	if (r == NULL)
		return PEERTAB_UNKNOWN;
	if (r->state == PEERTAB_PIN_RETIRED)
		return PEERTAB_RETIRED;
	/* Expired before disabled: the operator must rotate the pin in any
	 * case, enabling the peer would not be enough. */
	if (r->expires != 0 && now >= r->expires)
		return PEERTAB_EXPIRED;
	if (r->state == PEERTAB_PIN_DISABLED)
		return PEERTAB_DISABLED;
	return PEERTAB_OK;
}

const char *
peertab_verdict_name(enum peertab_verdict v)
{
	switch (v) {
	case PEERTAB_OK:
		return "ok";
	case PEERTAB_UNKNOWN:
		return "unknown pin";
	case PEERTAB_RETIRED:
		return "retired pin";
	case PEERTAB_DISABLED:
		return "disabled peer";
	case PEERTAB_EXPIRED:
		return "expired pin";
	}
	return "unknown pin";
}

int
peertab_equal(const struct peertab *a, const struct peertab *b)
{
	size_t i, na = a != NULL ? a->n : 0, nb = b != NULL ? b->n : 0;

	if (na != nb)
		return 0;
	if (na == 0)
		return 1;
	/* Sorted by pin on first lookup; make sure of it for both. */
	(void)find(a, "");
	(void)find(b, "");
	for (i = 0; i < a->n; i++)
		if (strcmp(a->rows[i].pin, b->rows[i].pin) != 0 ||
		    strcmp(a->rows[i].id, b->rows[i].id) != 0 ||
		    a->rows[i].state != b->rows[i].state ||
		    a->rows[i].expires != b->rows[i].expires)
			return 0;
	return 1;
}

size_t
peertab_count(const struct peertab *t, time_t now)
{
	size_t i, n = 0;

	if (t == NULL)
		return 0;
	for (i = 0; i < t->n; i++)
		n += t->rows[i].state == PEERTAB_PIN_VALID &&
		    (t->rows[i].expires == 0 || now < t->rows[i].expires);
	return n;
}

void
peertab_free(struct peertab *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->rows[i].pin);
		free(t->rows[i].id);
	}
	free(t->rows);
	free(t);
}
