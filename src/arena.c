/*
 * arena.c -- a chain of blocks, freed at once.  See arena.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_BLOCK	(16 * 1024)

struct arena_block {
	struct arena_block	*next;
	size_t			 size;
	size_t			 used;
	max_align_t		 data[];
};

struct arena {
	struct arena_block	*head;
	size_t			 total;
	size_t			 max;
};

struct arena *
arena_new(size_t max)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (a != NULL)
		a->max = max;
	return a;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	struct arena_block *b = a->head;
	size_t need, size;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	need = (n + align - 1) / align * align;
	if (need == 0)
		need = align;
	if (b == NULL || b->size - b->used < need) {
		size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		if (a->max != 0 && a->total + size > a->max)
			return NULL;
		b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		/* A large allocation gets a block of its own behind the
		 * current one, so the current block's room is not wasted. */
		if (a->head != NULL && size > ARENA_BLOCK) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
		a->total += size;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

size_t
arena_used(const struct arena *a)
{
	return a->total;
}
