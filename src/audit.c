/*
 * audit.c -- MACs for the audit chain.  See audit.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit.h"

static int
feed(EVP_MAC_CTX *ctx, const void *p, size_t n)
{
	return EVP_MAC_update(ctx, p, n) == 1 ? 0 : -1;
}

static int
feed_int(EVP_MAC_CTX *ctx, int64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRId64 "\n", v);

	return feed(ctx, buf, (size_t)n);
}

/* LENGTH ":" BYTES "\n", or "-\n" for NULL: no two values encode alike. */
static int
feed_str(EVP_MAC_CTX *ctx, const char *s)
{
	char buf[32];
	int n;

	if (s == NULL)
		return feed(ctx, "-\n", 2);
	n = snprintf(buf, sizeof(buf), "%zu:", strlen(s));
	if (feed(ctx, buf, (size_t)n) == -1 || feed(ctx, s, strlen(s)) == -1)
		return -1;
	return feed(ctx, "\n", 1);
}

int
audit_mac(const unsigned char *key, size_t keylen, const unsigned char *prev,
    const struct audit_entry *e, unsigned char out[AUDIT_MAC_LEN])
{
	static const unsigned char zero[AUDIT_MAC_LEN];
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t outlen = 0;
	int rc = -1;

	params[0] = OSSL_PARAM_construct_utf8_string("digest",
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, keylen, params) != 1)
		goto out;
	if (feed(ctx, prev != NULL ? prev : zero, AUDIT_MAC_LEN) == -1 ||
	    feed(ctx, "hlx-audit-1\n", 12) == -1 ||
	    feed_int(ctx, e->seq) == -1 || feed_int(ctx, e->at) == -1 ||
	    feed_str(ctx, e->actor) == -1 || feed_str(ctx, e->event) == -1 ||
	    feed_str(ctx, e->peer) == -1 || feed_str(ctx, e->hcase) == -1 ||
	    feed_str(ctx, e->message_id) == -1 ||
	    feed_str(ctx, e->pin) == -1 || feed_str(ctx, e->detail) == -1)
		goto out;
	if (EVP_MAC_final(ctx, out, &outlen, AUDIT_MAC_LEN) != 1 ||
	    outlen != AUDIT_MAC_LEN)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

void
audit_hex(const unsigned char mac[AUDIT_MAC_LEN], char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < AUDIT_MAC_LEN; i++) {
		buf[2 * i] = hex[mac[i] >> 4];
		buf[2 * i + 1] = hex[mac[i] & 0xf];
	}
	buf[2 * AUDIT_MAC_LEN] = '\0';
}
