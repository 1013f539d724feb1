/*
 * peertab.c -- pins of enabled peers, sorted for binary search.  See
 * peertab.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peertab.h"

struct peertab_row {
	char	*pin;
	char	*id;
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
peertab_add(struct peertab *t, const char *pin, const char *id)
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

const char *
peertab_find(const struct peertab *t, const char *pin)
{
	struct peertab_row key, *r;

	if (t == NULL || t->n == 0)
		return NULL;
	if (!t->sorted) {
		/* Sorting is an implementation detail of a const table. */
		struct peertab *w = (struct peertab *)(uintptr_t)t;

		qsort(w->rows, w->n, sizeof(*w->rows), row_cmp);
		w->sorted = 1;
	}
	key.pin = (char *)(uintptr_t)pin;
	r = bsearch(&key, t->rows, t->n, sizeof(*t->rows), row_cmp);
	return r != NULL ? r->id : NULL;
}

int
peertab_equal(const struct peertab *a, const struct peertab *b)
{
	size_t i;

	if (peertab_count(a) != peertab_count(b))
		return 0;
	if (peertab_count(a) == 0)
		return 1;
	/* Sorted by pin on first lookup; make sure of it for both. */
	(void)peertab_find(a, "");
	(void)peertab_find(b, "");
	for (i = 0; i < a->n; i++)
		if (strcmp(a->rows[i].pin, b->rows[i].pin) != 0 ||
		    strcmp(a->rows[i].id, b->rows[i].id) != 0)
			return 0;
	return 1;
}

size_t
peertab_count(const struct peertab *t)
{
	return t != NULL ? t->n : 0;
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
